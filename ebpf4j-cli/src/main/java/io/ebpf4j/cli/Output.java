package io.ebpf4j.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;

/** Where a command writes: text lines, or one JSON document, as the global options ask. */
final class Output {
    private static final JsonFactory JSON = JsonFactory.builder()
            // Writing to stdout that the caller owns: closing the generator must not close it.
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            // When a command fails half way, Jackson would close the open arrays and objects and make the
            // truncated document look complete; leave it visibly invalid instead.
            .disable(StreamWriteFeature.AUTO_CLOSE_CONTENT)
            .build();

    private final PrintWriter out;
    private final boolean json;
    private final boolean pretty;
    private final boolean debug;

    Output(PrintWriter out, boolean json, boolean pretty, boolean debug) {
        this.out = out;
        this.json = json || pretty;
        this.pretty = pretty;
        this.debug = debug;
    }

    /** The output of the command {@code spec} belongs to, with the options given to the whole command line. */
    static Output of(CommandSpec spec) {
        Main main = (Main) spec.root().userObject();
        return new Output(spec.commandLine().getOut(), main.json, main.pretty, main.debug);
    }

    boolean json() {
        return json;
    }

    /** Whether {@code --debug} was given: commands may then say more on stderr. */
    boolean debug() {
        return debug;
    }

    /** The text writer (for text mode). */
    PrintWriter text() {
        return out;
    }

    /** Writes one JSON document built by {@code body}, followed by a newline. */
    void json(JsonBody body) {
        try (JsonGenerator g = JSON.createGenerator(out)) {
            if (pretty) {
                g.setPrettyPrinter(new DefaultPrettyPrinter(Separators.createDefaultInstance()
                        .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                        .withObjectIndenter(new DefaultIndenter("    ", "\n")));
            }
            body.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.println();
        out.flush();
    }

    /** Writes JSON; may throw the generator's {@link IOException}. */
    @FunctionalInterface
    interface JsonBody {
        void write(JsonGenerator g) throws IOException;
    }

    /**
     * Bytes as bpftool prints them: two hex digits each, one space between, two spaces after every eighth byte
     * and a line break after every sixteenth.
     */
    static String hex(byte[] bytes, int offset, int length) {
        StringBuilder sb = new StringBuilder(length * 3);
        for (int i = 0; i < length; i++) {
            if (i > 0) {
                sb.append(i % 16 == 0 ? "\n" : i % 8 == 0 ? "  " : " ");
            }
            sb.append(Character.forDigit((bytes[offset + i] >> 4) & 0xf, 16))
                    .append(Character.forDigit(bytes[offset + i] & 0xf, 16));
        }
        return sb.toString();
    }

    /** {@code "0x00"} to {@code "0xff"}: map dumps write millions of them. */
    private static final String[] HEX_STRINGS = new String[256];

    static {
        for (int b = 0; b < 256; b++) {
            HEX_STRINGS[b] = String.format("0x%02x", b);
        }
    }

    /** Bytes as a JSON array of {@code "0x2a"} strings, as bpftool writes them. */
    static void hexArray(JsonGenerator g, byte[] bytes, int offset, int length) throws IOException {
        g.writeStartArray();
        for (int i = 0; i < length; i++) {
            g.writeString(HEX_STRINGS[bytes[offset + i] & 0xff]);
        }
        g.writeEndArray();
    }

    /** A tree of maps, lists, strings, numbers and booleans (as {@code BtfValueFormatter} makes) as JSON. */
    static void tree(JsonGenerator g, Object v) throws IOException {
        switch (v) {
            case java.util.Map<?, ?> m -> {
                g.writeStartObject();
                for (java.util.Map.Entry<?, ?> e : m.entrySet()) {
                    g.writeFieldName(String.valueOf(e.getKey()));
                    tree(g, e.getValue());
                }
                g.writeEndObject();
            }
            case java.util.List<?> l -> {
                g.writeStartArray();
                for (Object o : l) {
                    tree(g, o);
                }
                g.writeEndArray();
            }
            case String s -> g.writeString(s);
            case Boolean b -> g.writeBoolean(b);
            case Long n -> g.writeNumber(n);
            case Integer n -> g.writeNumber(n);
            case java.math.BigInteger n -> g.writeNumber(n);
            case Double n -> g.writeNumber(n);
            case null -> g.writeNull();
            default -> g.writeString(String.valueOf(v));
        }
    }
}
