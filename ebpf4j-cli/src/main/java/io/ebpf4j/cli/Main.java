package io.ebpf4j.cli;

import io.ebpf4j.BpfException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.util.Properties;

/**
 * Entry point of the {@code ebpf4j} command: a bpftool-like inspector of the kernel's BPF objects.
 * <p>Global options are declared here with {@link ScopeType#INHERIT}, so that, as with bpftool, {@code -j} may
 * come before or after the subcommand; commands read them through {@link Output#of}.
 */
@Command(name = "ebpf4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Run, load, attach and inspect eBPF programs and maps: in object files and in the running kernel.",
        subcommands = {
                RunCommand.class,
                FeatureCommand.class,
                ProgCommand.class,
                MapCommand.class,
                LinkCommand.class,
                NetCommand.class,
                CgroupCommand.class,
                BtfCommand.class,
                CoreCommand.class,
                ObjectCommand.class})
public final class Main {
    @Option(names = {"-j", "--json"}, scope = ScopeType.INHERIT, description = "Write JSON instead of text.")
    boolean json;

    @Option(names = {"-p", "--pretty"}, scope = ScopeType.INHERIT,
            description = "Write indented JSON (implies --json).")
    boolean pretty;

    @Option(names = "--debug", scope = ScopeType.INHERIT, description = "Print stack traces of errors.")
    boolean debug;

    /** The command line with the one-line error handling; tests run commands through it in-process. */
    public static CommandLine commandLine() {
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        cl.setExecutionExceptionHandler((Exception e, CommandLine cmd, ParseResult parsed) -> {
            cmd.getOut().flush();
            if (main.debug) {
                e.printStackTrace(cmd.getErr());
            }
            cmd.getErr().println("ebpf4j: " + describe(e, main.debug));
            cmd.getErr().flush();
            return 1;
        });
        return cl;
    }

    /**
     * Our own exceptions carry messages written for users. Anything else is a bug or an I/O problem: name its
     * class too, since a bare message such as "null" says nothing.
     */
    private static String describe(Exception e, boolean debug) {
        if (e instanceof BpfException) {
            return e.getMessage();
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())
                + (debug ? "" : " (run with --debug for details)");
    }

    public static void main(String[] args) {
        CommandLine cl = commandLine();
        // picocli's default writer flushes at every line: dumping a large map would be one write(2) per
        // element. Commands flush when they are done, and so does this method.
        PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out, System.out.charset())));
        cl.setOut(out);
        int exit = cl.execute(args);
        out.flush();
        System.exit(exit);
    }

    /** The project's version, which Maven writes into {@code version.properties} at build time. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"ebpf4j " + p.getProperty("version", "(unknown version)")};
        }
    }
}
