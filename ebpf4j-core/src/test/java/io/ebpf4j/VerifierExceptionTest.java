package io.ebpf4j;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VerifierExceptionTest {
    private static final String LOG = """
            func#0 @0
            0: R1=ctx() R10=fp0
            0: (b7) r0 = 0                        ; R0_w=0
            1: (61) r2 = *(u32 *)(r0 +0)
            R0 invalid mem access 'scalar'
            processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
            """;

    @Test
    void namesTheFailingInstructionAndShowsTheReason() {
        VerifierException e = new VerifierException("prog", 13, LOG, null);
        assertEquals(1, e.failingInstruction().orElseThrow());
        assertTrue(e.getMessage().contains("R0 invalid mem access 'scalar'"), e.getMessage());
        assertTrue(e.getMessage().contains("'prog'"));
        assertEquals(LOG, e.log());
        assertEquals(Errno.EACCES, e.errno());
    }

    @Test
    void namesTheSourceLineOfTheFailingInstruction() {
        String log = """
                func#0 @0
                ; int x = 0; @ prog.bpf.c:10
                0: (b7) r0 = 0                        ; R0_w=0
                ; return *(int *)x; @ prog.bpf.c:12
                1: (61) r2 = *(u32 *)(r0 +0)
                R0 invalid mem access 'scalar'
                """;
        VerifierException e = new VerifierException("prog", 13, log, null);
        VerifierException.SourceLine line = e.sourceLine().orElseThrow();
        assertEquals(new VerifierException.SourceLine("prog.bpf.c", 12, "return *(int *)x;"), line);
        assertTrue(e.getMessage().contains("at instruction 1, source line prog.bpf.c:12: return *(int *)x;"),
                e.getMessage());
        assertTrue(new VerifierException("prog", 13, LOG, null).sourceLine().isEmpty(), "no line info, no line");
    }

    @Test
    void emptyLogSaysSo() {
        VerifierException e = new VerifierException("p", 1, "", null);
        assertTrue(e.failingInstruction().isEmpty());
        assertTrue(e.getMessage().contains("no log"), e.getMessage());
    }

    @Test
    void errnoNames() {
        assertEquals("EPERM", Errno.nameOf(1));
        assertEquals("ENOTSUPP", Errno.nameOf(524));
        assertEquals("E9999", Errno.nameOf(9999));
        assertEquals(Errno.E2BIG, Errno.of(7));
    }
}
