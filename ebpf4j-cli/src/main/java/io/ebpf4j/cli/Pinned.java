package io.ebpf4j.cli;

import io.ebpf4j.BpfException;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.program.Program;

import java.nio.file.Path;
import java.util.Map;

/**
 * Opens pinned objects, checking that they are of the kind asked for. A pin path may hold a map, a program or a
 * link, and the core's {@code openPinned} reads whatever is there with the info layout of the kind it expects:
 * a program opened as a map comes back with nonsense sizes. The kernel's fdinfo says what the descriptor
 * really is ({@code map_type}, {@code prog_type} or {@code link_type} lines).
 */
final class Pinned {
    private Pinned() {
    }

    static Program program(Path path) {
        Program p;
        try {
            p = Program.openPinned(path);
        } catch (BpfException e) {
            throw e;
        } catch (RuntimeException e) {
            // Nonsense info (read from another kind of object) can fail before we get to check the kind.
            throw new BpfException("'" + path + "' is not a program", e);
        }
        String kind = kind(Proc.fdInfo(p.fd()));
        if (!kind.equals("program")) {
            p.close();
            throw new BpfException("'" + path + "' is not a program (it is a " + kind + ")");
        }
        return p;
    }

    static BpfMap map(Path path) {
        BpfMap m;
        try {
            m = BpfMap.openPinned(path);
        } catch (BpfException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new BpfException("'" + path + "' is not a map", e);
        }
        String kind = kind(Proc.fdInfo(m.fd()));
        if (!kind.equals("map")) {
            m.close();
            throw new BpfException("'" + path + "' is not a map (it is a " + kind + ")");
        }
        return m;
    }

    private static String kind(Map<String, String> fdInfo) {
        if (fdInfo.containsKey("map_type")) {
            return "map";
        }
        if (fdInfo.containsKey("prog_type")) {
            return "program";
        }
        if (fdInfo.containsKey("link_type")) {
            return "link";
        }
        return "BPF object of unknown kind";
    }
}
