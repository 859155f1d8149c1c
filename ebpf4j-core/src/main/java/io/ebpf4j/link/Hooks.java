package io.ebpf4j.link;

import io.ebpf4j.BpfException;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.Program;
import io.ebpf4j.program.ProgramType;

/** Checks shared by the attach methods of the hooks with a fixed program type (cgroup, XDP, tc). */
final class Hooks {
    private Hooks() {
    }

    /**
     * Refuses, before any system call, a program whose type the hook does not run: the kernel would answer a bare
     * EINVAL. {@code hook} names the hook for the message; nothing is checked when the pairing is not fixed.
     */
    static void requireProgramType(Program program, AttachType hook, String what) {
        requireProgramType(program, hook, "a " + hook.displayName() + " hook", what);
    }

    /** The same, naming the hook as {@code hookName} says (a hook reached without an attach type, e.g. cls_bpf). */
    static void requireProgramType(Program program, AttachType sameAs, String hookName, String what) {
        ProgramType want = sameAs.programType().orElse(null);
        ProgramType have = program.type();
        if (want != null && have != want && have != ProgramType.UNSPEC) {
            throw new BpfException(what + ": program '" + program.name() + "' is a " + have.displayName()
                    + " program, and " + hookName + " runs " + want.displayName() + " programs");
        }
    }
}
