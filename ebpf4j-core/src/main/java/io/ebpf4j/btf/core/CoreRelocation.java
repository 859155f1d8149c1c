package io.ebpf4j.btf.core;

import io.ebpf4j.btf.BtfExt.CoreReloKind;

import java.util.Objects;

/**
 * What one CO-RE relocation did to a program: at instruction (slot) {@code insn}, the {@code kind} of question
 * about {@code target} (in source terms: {@code struct task_struct.pid}, {@code enum e::V}, {@code struct s})
 * had the answer {@code localValue} in the program's own BTF and {@code targetValue} in the target's. A
 * poisoned relocation had no answer in the target; its instruction became a call to the helper
 * {@link CoreRelocator#POISON_HELPER}, which the verifier rejects only if it is reachable; {@code reason} says
 * why it was poisoned.
 */
public record CoreRelocation(int insn, CoreReloKind kind, int localTypeId, String accessString, String target,
                             boolean poisoned, long localValue, long targetValue, String reason) {
    public CoreRelocation {
        Objects.requireNonNull(kind);
        Objects.requireNonNull(accessString);
        Objects.requireNonNull(target);
        Objects.requireNonNull(reason);
    }

    /** One line for messages: {@code FIELD_BYTE_OFFSET of struct task_struct.pid at instruction 12}. */
    public String describe() {
        return kind + " of " + target + " (access string \"" + accessString + "\", local type id " + localTypeId
                + ") at instruction " + insn;
    }

    @Override
    public String toString() {
        return describe() + (poisoned ? ": poisoned, " + reason : ": " + localValue + " -> " + targetValue);
    }
}
