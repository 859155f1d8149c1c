/**
 * The {@code ebpf4j} command ({@link io.ebpf4j.cli.Main}): one picocli subcommand a file, text or JSON output
 * through {@code Output}. Not an API: nothing here is exported.
 */
package io.ebpf4j.cli;
