package io.ebpf4j.link;

import io.ebpf4j.Errno;
import io.ebpf4j.SyscallException;
import io.ebpf4j.UnsupportedFeatureException;
import io.ebpf4j.kernel.Attr;
import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.object.AttachTargets;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.Program;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A BTF-attached tracing program: {@code tp_btf}, {@code fentry}, {@code fexit}, {@code fmod_ret}, {@code lsm}
 * or {@code freplace}. The target was fixed at load time ({@code attach_btf_id}, resolved by
 * {@link AttachTargets}); attaching only makes it live. fentry, fexit, fmod_ret, freplace and lsm need BPF
 * trampolines in the kernel; tp_btf does not.
 */
public final class TracingLink extends BpfLink {
    private TracingLink(Fd fd, String description) {
        super(fd, description);
    }

    /** Attaches a program to the target it was loaded for ({@code BPF_RAW_TRACEPOINT_OPEN} without a name). */
    public static TracingLink attach(Program program) {
        String d = "tracing '" + program.name() + "'";
        try {
            return new TracingLink(Bpf.rawTracepointOpen(null, program.fd(), 0, d), d);
        } catch (SyscallException e) {
            throw trampolineFailure(e, d);
        }
    }

    /**
     * Attaches with {@code LINK_CREATE}, which takes a BPF cookie ({@code bpf_get_attach_cookie}); {@code type}
     * is the program's expected attach type ({@code TRACE_FENTRY}, {@code TRACE_RAW_TP}, {@code LSM_MAC}...).
     */
    public static TracingLink attach(Program program, AttachType type, long cookie) {
        String d = "tracing '" + program.name() + "' (" + type.displayName() + ")";
        try {
            return new TracingLink(Bpf.linkCreate(program.fd(), 0, type.value(), 0,
                    a -> a.set(JAVA_LONG, Attr.LinkCreate.TRACING_COOKIE, cookie),
                    Attr.LinkCreate.TRACING_COOKIE + Long.BYTES, d), d);
        } catch (SyscallException e) {
            throw trampolineFailure(e, d);
        }
    }

    /**
     * Attaches a freplace program in place of {@code function} of {@code target}, a program other than the one
     * it was loaded against (which {@link #attach(Program)} uses).
     */
    public static TracingLink attachFreplace(Program extension, Program target, String function) {
        int btfId = AttachTargets.programFunction(target, function);
        String d = "freplace '" + extension.name() + "' on " + target.name() + ":" + function;
        try {
            return new TracingLink(Bpf.linkCreate(extension.fd(), target.fd(), 0, 0,
                    a -> a.set(JAVA_INT, Attr.LinkCreate.TARGET_BTF_ID, btfId),
                    Attr.LinkCreate.TARGET_BTF_ID + Integer.BYTES, d), d);
        } catch (SyscallException e) {
            throw trampolineFailure(e, d);
        }
    }

    private static RuntimeException trampolineFailure(SyscallException e, String what) {
        if (e.errno() == Errno.ENOTSUPP || e.errno() == Errno.EOPNOTSUPP) {
            return new UnsupportedFeatureException("BPF trampolines", what + ": the kernel cannot attach "
                    + "fentry/fexit/fmod_ret/freplace/lsm programs (built without BPF trampoline support)");
        }
        return e;
    }
}
