package io.ebpf4j.object;

/**
 * What one instruction of a program refers to, as the object file says it: resolved by the loader (map fds,
 * subprogram offsets) at load time. {@code insn} is the instruction's slot index within its program or
 * subprogram.
 */
public sealed interface Reloc {
    int insn();

    /** Moves the relocation to another slot (when a subprogram is appended to a program). */
    Reloc at(int insn);

    /** {@code ld_imm64} of a map: becomes BPF_PSEUDO_MAP_FD with the map's fd. */
    record MapRef(int insn, String map) implements Reloc {
        public Reloc at(int i) {
            return new MapRef(i, map);
        }
    }

    /** {@code ld_imm64} of a variable in a global-data map: BPF_PSEUDO_MAP_VALUE with the map's fd and an offset. */
    record MapValue(int insn, String map, long offset) implements Reloc {
        public Reloc at(int i) {
            return new MapValue(i, map, offset);
        }
    }

    /** A bpf-to-bpf call ({@code call pc+N}) into a subprogram of {@code .text}, starting at {@code target}. */
    record Call(int insn, int target) implements Reloc {
        public Reloc at(int i) {
            return new Call(i, target);
        }
    }

    /** {@code ld_imm64} of a function's address (BPF_PSEUDO_FUNC: callbacks for bpf_loop and friends). */
    record FuncAddr(int insn, int target) implements Reloc {
        public Reloc at(int i) {
            return new FuncAddr(i, target);
        }
    }

    /** A reference to an extern ({@code .kconfig}, {@code .ksyms} variable or kfunc): resolved with kernel BTF. */
    record Extern(int insn, String name, boolean call) implements Reloc {
        public Reloc at(int i) {
            return new Extern(i, name, call);
        }
    }
}
