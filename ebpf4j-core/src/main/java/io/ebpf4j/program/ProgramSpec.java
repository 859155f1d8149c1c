package io.ebpf4j.program;

import java.util.Objects;

/**
 * What a program is to be: type, expected attach type, license, name and instructions (the kernel's 8-byte
 * {@code struct bpf_insn} encoding). Pure data; {@link Program#load(ProgramSpec)} loads it.
 *
 * @param expectedAttachType null when the type needs none
 * @param kernVersion {@code LINUX_VERSION_CODE}, only checked for kprobes on old kernels
 * @param flags {@code BPF_F_*} program flags, e.g. {@link #F_SLEEPABLE}
 */
public record ProgramSpec(String name, ProgramType type, AttachType expectedAttachType, String license,
                          byte[] bytecode, int kernVersion, int flags, int attachBtfId) {

    public static final int F_STRICT_ALIGNMENT = 1;
    public static final int F_ANY_ALIGNMENT = 1 << 1;
    public static final int F_TEST_RND_HI32 = 1 << 2;
    public static final int F_TEST_STATE_FREQ = 1 << 3;
    public static final int F_SLEEPABLE = 1 << 4;
    public static final int F_XDP_HAS_FRAGS = 1 << 5;
    public static final int F_XDP_DEV_BOUND_ONLY = 1 << 6;

    public ProgramSpec {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(bytecode, "bytecode");
        name = name == null ? "" : name;
        license = license == null ? "GPL" : license;
        if (bytecode.length == 0 || bytecode.length % 8 != 0) {
            throw new IllegalArgumentException("program '" + name + "': bytecode must be a non-empty multiple of "
                    + "8 bytes (it is " + bytecode.length + ")");
        }
        bytecode = bytecode.clone();
    }

    /** A GPL-licensed program of {@code type} from instructions. */
    public static ProgramSpec of(String name, ProgramType type, java.util.List<io.ebpf4j.asm.Instruction> insns) {
        return new ProgramSpec(name, type, null, "GPL", io.ebpf4j.asm.Instruction.encodeAll(insns), 0, 0, 0);
    }

    /** A GPL-licensed program of {@code type} from raw bytecode. */
    public static ProgramSpec of(String name, ProgramType type, byte[] bytecode) {
        return new ProgramSpec(name, type, null, "GPL", bytecode, 0, 0, 0);
    }

    @Override
    public byte[] bytecode() {
        return bytecode.clone();
    }

    /** Number of 8-byte instruction slots. */
    public int instructionCount() {
        return bytecode.length / 8;
    }

    public ProgramSpec withExpectedAttachType(AttachType t) {
        return new ProgramSpec(name, type, t, license, bytecode, kernVersion, flags, attachBtfId);
    }

    public ProgramSpec withLicense(String license) {
        return new ProgramSpec(name, type, expectedAttachType, license, bytecode, kernVersion, flags, attachBtfId);
    }

    public ProgramSpec withFlags(int flags) {
        return new ProgramSpec(name, type, expectedAttachType, license, bytecode, kernVersion, flags, attachBtfId);
    }

    public ProgramSpec withKernVersion(int v) {
        return new ProgramSpec(name, type, expectedAttachType, license, bytecode, v, flags, attachBtfId);
    }

    public ProgramSpec withAttachBtfId(int id) {
        return new ProgramSpec(name, type, expectedAttachType, license, bytecode, kernVersion, flags, id);
    }

    public ProgramSpec withBytecode(byte[] code) {
        return new ProgramSpec(name, type, expectedAttachType, license, code, kernVersion, flags, attachBtfId);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ProgramSpec p && name.equals(p.name) && type == p.type
                && expectedAttachType == p.expectedAttachType && license.equals(p.license)
                && java.util.Arrays.equals(bytecode, p.bytecode) && kernVersion == p.kernVersion && flags == p.flags
                && attachBtfId == p.attachBtfId;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, expectedAttachType, license, java.util.Arrays.hashCode(bytecode));
    }

    @Override
    public String toString() {
        return "ProgramSpec[" + name + ", " + type.displayName() + ", " + instructionCount() + " insns]";
    }
}
