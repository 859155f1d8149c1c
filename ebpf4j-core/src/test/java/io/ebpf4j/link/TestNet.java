package io.ebpf4j.link;

import io.ebpf4j.kernel.Fd;
import io.ebpf4j.kernel.Sockets;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Two network namespaces joined by a veth pair, made with {@code ip} for one test and removed when closed (which
 * removes the veth too): {@code a} has {@code 10.77.0.1} on {@link #vethA}, {@code b} has {@code 10.77.0.2} on
 * {@link #vethB}. Names carry the tag and this process's id. UDP datagrams to {@link #PORT} are what the test
 * programs count.
 */
final class TestNet implements AutoCloseable {
    static final int PORT = 4789;
    static final int ADDR_A = 0x0A4D_0001;
    static final int ADDR_B = 0x0A4D_0002;

    final String nsA;
    final String nsB;
    final String vethA;
    final String vethB;
    private final List<Fd> sockets = new ArrayList<>();

    private TestNet(String tag) {
        long pid = ProcessHandle.current().pid();
        nsA = "ebpf4j-" + tag + "-a-" + pid;
        nsB = "ebpf4j-" + tag + "-b-" + pid;
        // Interface names have at most 15 bytes: "e4" + a tag of up to 3 + a pid of up to 7 + a/b.
        if (tag.length() > 3) {
            throw new IllegalArgumentException("tags have at most 3 characters: " + tag);
        }
        vethA = "e4" + tag + pid + "a";
        vethB = "e4" + tag + pid + "b";
    }

    static TestNet create(String tag) {
        TestNet n = new TestNet(tag);
        try {
            run("ip", "netns", "add", n.nsA);
            run("ip", "netns", "add", n.nsB);
            run("ip", "link", "add", n.vethA, "type", "veth", "peer", "name", n.vethB);
            run("ip", "link", "set", n.vethA, "netns", n.nsA);
            run("ip", "link", "set", n.vethB, "netns", n.nsB);
            run("ip", "-n", n.nsA, "addr", "add", "10.77.0.1/24", "dev", n.vethA);
            run("ip", "-n", n.nsB, "addr", "add", "10.77.0.2/24", "dev", n.vethB);
            for (String[] nsDev : new String[][] {{n.nsA, n.vethA}, {n.nsB, n.vethB}, {n.nsA, "lo"}, {n.nsB, "lo"}}) {
                run("ip", "-n", nsDev[0], "link", "set", nsDev[1], "up");
            }
            return n;
        } catch (RuntimeException e) {
            n.close();
            throw e;
        }
    }

    /** A single namespace with lo up, for hooks that need no veth. */
    static String singleNamespace(String tag) {
        String ns = "ebpf4j-" + tag + "-" + ProcessHandle.current().pid();
        run("ip", "netns", "add", ns);
        try {
            run("ip", "-n", ns, "link", "set", "lo", "up");
        } catch (RuntimeException e) {
            quietly("ip", "netns", "del", ns);
            throw e;
        }
        return ns;
    }

    static String run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
            }
            return out;
        } catch (java.io.IOException e) {
            throw new IllegalStateException(String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void quietly(String... cmd) {
        try {
            run(cmd);
        } catch (RuntimeException ignored) {
            // cleanup of something that may not exist
        }
    }

    int ifindexB() {
        return Net.inNamespace(nsB, () -> Net.ifindex(vethB));
    }

    /** A UDP socket in b bound to 10.77.0.2:PORT, and one in a connected to it. */
    Fd[] udpPair() {
        Fd rx = Net.inNamespace(nsB, () -> {
            Fd s = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_DGRAM, 0, "udp receiver");
            Sockets.bindInet(s.get(), ADDR_B, PORT, "udp receiver");
            return s;
        });
        sockets.add(rx);
        Fd tx = Net.inNamespace(nsA, () -> {
            Fd s = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_DGRAM, 0, "udp sender");
            Sockets.connectInet(s.get(), ADDR_B, PORT, "udp sender");
            return s;
        });
        sockets.add(tx);
        return new Fd[] {tx, rx};
    }

    /**
     * Sends {@code n} datagrams from a to b and returns how many b received within {@code waitMillis} (the
     * receiver is drained first).
     */
    static int exchange(Fd[] pair, int n, long waitMillis) throws InterruptedException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(256);
            while (Sockets.recv(pair[1].get(), buf, Sockets.MSG_DONTWAIT) >= 0) {
                // drain
            }
            MemorySegment msg = arena.allocateFrom("ebpf4j");
            for (int i = 0; i < n; i++) {
                long sent = Sockets.send(pair[0].get(), msg, 0);
                if (sent < 0) {
                    throw new IllegalStateException("send failed: errno " + -sent);
                }
            }
            int got = 0;
            long deadline = System.nanoTime() + waitMillis * 1_000_000;
            while (got < n && System.nanoTime() < deadline) {
                if (Sockets.recv(pair[1].get(), buf, Sockets.MSG_DONTWAIT) >= 0) {
                    got++;
                } else {
                    Thread.sleep(5);
                }
            }
            return got;
        }
    }

    @Override
    public void close() {
        for (Fd s : sockets) {
            s.close();
        }
        quietly("ip", "netns", "del", nsA);
        quietly("ip", "netns", "del", nsB);
        // If the move into a namespace failed, the pair is still here.
        quietly("ip", "link", "del", vethA);
    }
}
