/** The {@code ebpf4j} command. */
module io.ebpf4j.cli {
    requires io.ebpf4j;
    requires info.picocli;
    requires com.fasterxml.jackson.core;
    requires jdk.unsupported;
    opens io.ebpf4j.cli to info.picocli;
}
