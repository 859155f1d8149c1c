package io.ebpf4j.examples;

import io.ebpf4j.asm.Assembler;
import io.ebpf4j.map.*;
import io.ebpf4j.program.*;
import static io.ebpf4j.asm.Register.*;
import io.ebpf4j.KernelAccess;
import io.ebpf4j.asm.Size;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The README's example, as written there (the print turned into an assertion). */
class ReadmeExampleTest {
    @Test
    void readmeExampleWorks() {
        KernelAccess.assume();
        try (BpfMap counts = BpfMap.create(MapSpec.of(MapType.ARRAY, 4, 8, 1).withName("counts"));
             Program prog = Program.load(ProgramSpec.of("count", ProgramType.SOCKET_FILTER, new Assembler()
                     // key = 0 on the stack, value = lookup(counts, &key); if found, *value += 1
                     .st(Size.W, R10, -4, 0)
                     .mov64(R2, R10).add64(R2, -4)
                     .ldMapFd(R1, counts.fd())
                     .call(1 /* bpf_map_lookup_elem */)
                     .jeq(R0, 0, "out")
                     .mov64(R1, 1).atomicAdd(Size.DW, R0, R1, 0)
                     .label("out").mov64(R0, 0).exit()
                     .build()))) {
            prog.testRun(TestRun.withData(new byte[64]).repeat(10));
            var view = counts.typed(Codec.INT, Codec.LONG);
            assertEquals(10L, view.get(0).orElseThrow());
        }
    }
}
