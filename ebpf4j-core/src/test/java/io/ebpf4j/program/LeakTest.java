package io.ebpf4j.program;

import io.ebpf4j.KernelAccess;
import io.ebpf4j.testing.OpenFds;
import io.ebpf4j.SyscallException;
import io.ebpf4j.VerifierException;
import io.ebpf4j.asm.Assembler;
import io.ebpf4j.asm.Instruction;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.map.MapSpec;
import io.ebpf4j.map.MapType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static io.ebpf4j.asm.Register.R0;
import static io.ebpf4j.asm.Register.R10;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Loads that succeed, loads that fail, and failed creations leave the process's fd table as it was. */
class LeakTest {
    private static final int ROUNDS = 1000;

    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }


    @Test
    void aThousandLoadsAndAThousandFailedLoadsLeakNothing() throws IOException {
        List<Instruction> good = new Assembler().mov64(R0, 0).exit().build();
        List<Instruction> bad = new Assembler().ldxDW(R0, R10, 8).exit().build();
        ProgramSpec ok = ProgramSpec.of("ok", ProgramType.SOCKET_FILTER, good);
        ProgramSpec rejected = ProgramSpec.of("rejected", ProgramType.SOCKET_FILTER, bad);
        // Warm up once so lazily opened JDK files (jars, /proc readers) are not counted.
        Program.load(ok).close();
        assertThrows(VerifierException.class, () -> Program.load(rejected));
        long before = OpenFds.count();
        for (int i = 0; i < ROUNDS; i++) {
            try (Program p = Program.load(ok)) {
                assertEquals(ProgramType.SOCKET_FILTER, p.type());
            }
            assertThrows(VerifierException.class, () -> Program.load(rejected));
        }
        // Map-in-map creation that fails after making its inner template closes the template too.
        for (int i = 0; i < 100; i++) {
            assertThrows(SyscallException.class, () -> BpfMap.create(MapSpec.of(MapType.ARRAY_OF_MAPS, 8, 4, 1)
                    .withInnerMap(MapSpec.of(MapType.ARRAY, 4, 4, 1))));
        }
        assertEquals(before, OpenFds.count());
    }
}
