package io.ebpf4j.object;

import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.ProgramType;

import java.util.Objects;

/**
 * One row of the section-name table: a pattern, the program type and expected attach type it gives, and flags.
 * Patterns follow libbpf's three forms: {@code "xdp"} matches exactly; {@code "tp+"} matches {@code tp} or
 * {@code tp/<anything>}; {@code "xdp/devmap"}-style rows are exact too. A trailing {@code '/'} would match any
 * name that starts with the pattern.
 *
 * @param attachType null when the type takes none
 */
public record SectionDef(String pattern, ProgramType type, AttachType attachType, int flags, AutoAttach autoAttach) {
    /** The expected attach type may be dropped on kernels that do not know it. */
    public static final int EXP_ATTACH_OPT = 1;
    /** Historically attachable through BPF_PROG_ATTACH (informational). */
    public static final int ATTACHABLE = 2;
    public static final int ATTACHABLE_OPT = ATTACHABLE | EXP_ATTACH_OPT;
    /** The attach target is a BTF id (kernel function, tracepoint, another program's function). */
    public static final int ATTACH_BTF = 4;
    /** The program may sleep: loaded with BPF_F_SLEEPABLE. */
    public static final int SLEEPABLE = 8;
    /** An XDP program that handles multi-buffer frames: loaded with BPF_F_XDP_HAS_FRAGS. */
    public static final int XDP_FRAGS = 16;
    /** A USDT probe: attach type chosen at load from the kernel's uprobe-multi support. */
    public static final int USDT = 32;

    public SectionDef {
        Objects.requireNonNull(pattern, "pattern");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(autoAttach, "autoAttach");
    }

    /** The pattern without its {@code '+'}: the base name a section starts with. */
    public String baseName() {
        return pattern.endsWith("+") ? pattern.substring(0, pattern.length() - 1) : pattern;
    }

    public boolean has(int flag) {
        return (flags & flag) == flag;
    }

    /** Whether a section name (without a leading {@code '?'}) belongs to this row. */
    public boolean matches(String section) {
        if (pattern.endsWith("/")) {
            return section.startsWith(pattern);
        }
        if (pattern.endsWith("+")) {
            // Compared in place: this runs for every row against every section, so no substring per call.
            int base = pattern.length() - 1;
            return section.regionMatches(0, pattern, 0, base)
                    && (section.length() == base || section.charAt(base) == '/');
        }
        return section.equals(pattern);
    }

    /** What follows {@code base/} in a matching section name (a tracepoint, function or path), or "". */
    public String target(String section) {
        String base = baseName();
        return pattern.endsWith("+") && section.length() > base.length() ? section.substring(base.length() + 1) : "";
    }
}
