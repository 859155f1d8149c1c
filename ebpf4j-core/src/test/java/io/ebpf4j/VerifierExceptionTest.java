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
