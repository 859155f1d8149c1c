package io.ebpf4j.cli;

/** Entry point of the {@code ebpf4j} command. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.out.println("ebpf4j");
    }
}
