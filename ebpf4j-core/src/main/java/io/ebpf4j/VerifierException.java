package io.ebpf4j;

import java.util.List;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernel's verifier refused a program. Holds the whole verifier log, the index of the instruction the
 * verifier stopped at (when the log names one) and the log's last lines, which usually say why.
 */
public class VerifierException extends SyscallException {
    private static final long serialVersionUID = 1L;
    /** How many lines of the log's end the message shows. */
    private static final int TAIL_LINES = 8;
    /** A verifier line about one instruction starts with its index and opcode: {@code "12: (85) call ..."}. */
    private static final Pattern INSN_LINE = Pattern.compile("^(\\d+): \\([0-9a-f]{2}\\)");
    /** With line info, the verifier prints each new source line as {@code "; text @ file.c:42"}. */
    private static final Pattern SOURCE_LINE = Pattern.compile("^; (.*) @ (\\S+):(\\d+)$");

    /** A line of the program's source, as the verifier's log quotes it from the program's line info. */
    public record SourceLine(String file, int line, String text) implements java.io.Serializable {
        @Override
        public String toString() {
            return file + ":" + line + ": " + text;
        }
    }

    private final String program;
    private final String log;
    private final int failingInsn;
    private final String detail;
    private final SourceLine sourceLine;

    /**
     * The kernel refused {@code program} with {@code errno}; {@code log} is the verifier's log and {@code detail}
     * what the loader adds (may be null).
     */
    public VerifierException(String program, int errno, String log, String detail) {
        super("BPF_PROG_LOAD", errno, program, null, message(program, errno, log, detail));
        this.program = program;
        this.log = log == null ? "" : log;
        this.failingInsn = failingInstruction(this.log);
        this.detail = detail;
        this.sourceLine = sourceLine(this.log);
    }

    private static String message(String program, int errno, String log, String detail) {
        StringBuilder sb = new StringBuilder("the verifier rejected program '").append(program).append("' (")
                .append(Errno.nameOf(errno)).append(')');
        int insn = failingInstruction(log == null ? "" : log);
        if (insn >= 0) {
            sb.append(" at instruction ").append(insn);
        }
        SourceLine src = sourceLine(log == null ? "" : log);
        if (src != null) {
            sb.append(", source line ").append(src);
        }
        List<String> tail = tail(log == null ? "" : log, TAIL_LINES);
        if (tail.isEmpty()) {
            sb.append(": the kernel gave no log. On this kernel an empty log with EPERM usually means the program "
                    + "type needs a feature the kernel lacks (e.g. BPF trampolines) or more privileges");
        } else {
            sb.append(":");
            for (String line : tail) {
                sb.append("\n  | ").append(line);
            }
        }
        if (detail != null && !detail.isEmpty()) {
            sb.append('\n').append(detail);
        }
        return sb.toString();
    }

    /** The last instruction index the log talks about, or -1. */
    static int failingInstruction(String log) {
        int found = -1;
        for (String line : log.split("\n")) {
            Matcher m = INSN_LINE.matcher(line);
            if (m.find()) {
                found = Integer.parseInt(m.group(1));
            }
        }
        return found;
    }

    /** The source line the log quotes last before the failing instruction, or null without line info. */
    static SourceLine sourceLine(String log) {
        SourceLine current = null;
        SourceLine atFailure = null;
        for (String line : log.split("\n")) {
            Matcher s = SOURCE_LINE.matcher(line);
            if (s.find()) {
                current = new SourceLine(s.group(2), Integer.parseInt(s.group(3)), s.group(1).strip());
            } else if (INSN_LINE.matcher(line).find()) {
                atFailure = current;
            }
        }
        return atFailure;
    }

    private static List<String> tail(String log, int n) {
        List<String> lines = log.lines().filter(l -> !l.isBlank()).toList();
        return lines.subList(Math.max(0, lines.size() - n), lines.size());
    }

    /** The program's name. */
    public String program() {
        return program;
    }

    /** The verifier's whole log, never truncated. */
    public String log() {
        return log;
    }

    /** The index of the instruction the verifier stopped at, when its log names one. */
    public OptionalInt failingInstruction() {
        return failingInsn < 0 ? OptionalInt.empty() : OptionalInt.of(failingInsn);
    }

    /**
     * The source line of the failing instruction (file, line number and text), when the program was loaded with
     * line info ({@code .BTF.ext}) and the log shows it.
     */
    public java.util.Optional<SourceLine> sourceLine() {
        return java.util.Optional.ofNullable(sourceLine);
    }

    /** The last {@code n} non-blank lines of the log: usually the reason. */
    public List<String> lastLines(int n) {
        return tail(log, n);
    }

    /** Extra context the loader added (e.g. disassembly around the failing instruction), or {@code null}. */
    public String detail() {
        return detail;
    }
}
