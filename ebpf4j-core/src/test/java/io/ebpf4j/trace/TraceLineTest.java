package io.ebpf4j.trace;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TraceLineTest {
    @Test
    void parsesABpfPrintkLine() {
        TraceLine l = TraceLine.parse("           <...>-12345   [001] d..31  5210.123456: bpf_trace_printk: hello: world");
        assertTrue(l.parsed());
        assertTrue(l.isPrintk());
        assertEquals("<...>", l.task());
        assertEquals(12345, l.pid());
        assertEquals(1, l.cpu());
        assertEquals("d..31", l.flags());
        assertEquals(5210_123_456_000L, l.timestampNanos());
        assertEquals("hello: world", l.message());
    }

    @Test
    void taskNamesMayHoldSpacesAndDashes() {
        TraceLine l = TraceLine.parse(" my task-name-7-42 [000] ....1 12.5: bpf_trace_printk: x");
        assertEquals("my task-name-7", l.task());
        assertEquals(42, l.pid());
        assertEquals(12_500_000_000L, l.timestampNanos());
        assertEquals("x", l.message());
    }

    @Test
    void toleratesTheTgidColumnMissingFlagsAndNanoseconds() {
        TraceLine t = TraceLine.parse("  bash-1234    (   1200) [003] .... 100.000000001: bpf_trace_printk: a");
        assertEquals(1234, t.pid());
        assertEquals(3, t.cpu());
        assertEquals(100_000_000_001L, t.timestampNanos());
        TraceLine n = TraceLine.parse("  bash-1234 [003] 7.000001: sched_switch: prev=a");
        assertEquals("", n.flags());
        assertEquals("sched_switch", n.event());
        assertFalse(n.isPrintk());
        assertEquals("prev=a", n.message());
    }

    @Test
    void keepsOtherLinesWhole() {
        TraceLine l = TraceLine.parse("CPU:1 [LOST 7 EVENTS]");
        assertFalse(l.parsed());
        assertEquals("CPU:1 [LOST 7 EVENTS]", l.message());
        assertEquals(-1, l.pid());
    }
}
