package io.ebpf4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Which objects a command is about, written as bpftool writes it: {@code id 42}, {@code pinned /sys/fs/bpf/x},
 * {@code name counts} (or, for programs, {@code tag 0123456789abcdef}). An empty selector means all objects.
 */
record Selector(Kind kind, String value) {
    enum Kind { ALL, ID, PINNED, NAME, TAG }

    static final Selector ALL = new Selector(Kind.ALL, "");

    /**
     * Parses the words after the subcommand. Errors are picocli's {@link CommandLine.ParameterException}: usage
     * errors, reported with the usage and exit code 2.
     */
    static Selector parse(CommandSpec spec, List<String> words, Set<Kind> allowed) {
        if (words == null || words.isEmpty()) {
            return ALL;
        }
        String expected = String.join(" | ", allowed.stream().filter(k -> k != Kind.ALL)
                .map(k -> k.name().toLowerCase(java.util.Locale.ROOT) + " " + placeholder(k)).toList());
        if (words.size() != 2) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "expected " + expected + ", got '" + String.join(" ", words) + "'");
        }
        Kind kind = switch (words.get(0)) {
            case "id" -> Kind.ID;
            case "pinned" -> Kind.PINNED;
            case "name" -> Kind.NAME;
            case "tag" -> Kind.TAG;
            default -> null;
        };
        if (kind == null || !allowed.contains(kind)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "expected " + expected + ", got '" + words.get(0) + "'");
        }
        String value = words.get(1);
        // The kernel hands out ids in [1, INT_MAX): anything else cannot name an object.
        if (kind == Kind.ID && !(value.matches("[0-9]{1,10}") && Long.parseLong(value) < Integer.MAX_VALUE)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "'" + value + "' is not an id");
        }
        return new Selector(kind, value);
    }

    private static String placeholder(Kind k) {
        return switch (k) {
            case ID -> "ID";
            case PINNED -> "FILE";
            case NAME -> "NAME";
            case TAG -> "TAG";
            case ALL -> "";
        };
    }

    int id() {
        return Integer.parseInt(value);
    }

    Path path() {
        return Path.of(value);
    }
}
