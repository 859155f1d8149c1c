package io.ebpf4j.program;

import io.ebpf4j.KernelAccess;
import io.ebpf4j.Mounts;
import io.ebpf4j.SyscallException;
import io.ebpf4j.VerifierException;
import io.ebpf4j.asm.Assembler;
import io.ebpf4j.asm.Disassembler;
import io.ebpf4j.asm.Instruction;
import io.ebpf4j.asm.Size;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.map.Codec;
import io.ebpf4j.map.MapSpec;
import io.ebpf4j.map.MapType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.ebpf4j.asm.Register.R0;
import static io.ebpf4j.asm.Register.R1;
import static io.ebpf4j.asm.Register.R2;
import static io.ebpf4j.asm.Register.R3;
import static io.ebpf4j.asm.Register.R10;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Programs built with the assembler, loaded and test-run in the real kernel. */
class ProgramKernelTest {
    /** Offsets in {@code struct __sk_buff} and {@code struct xdp_md} (UAPI). */
    private static final int SKB_LEN = 0;
    private static final int XDP_DATA = 0;
    private static final int XDP_DATA_END = 4;
    private static final int XDP_DROP = 1;
    private static final int XDP_PASS = 2;
    private static final int ETH_HLEN = 14;
    private static final int HELPER_MAP_LOOKUP_ELEM = 1;

    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    static ProgramSpec spec(String name, ProgramType type, List<Instruction> insns) {
        return ProgramSpec.of(name, type, insns);
    }

    @Test
    void socketFilterSeesThePacketLength() {
        try (Program p = Program.load(spec("len", ProgramType.SOCKET_FILTER,
                new Assembler().ldxW(R0, R1, SKB_LEN).exit().build()))) {
            // The kernel hands a socket filter the packet after the Ethernet header.
            assertEquals(64 - ETH_HLEN, p.testRun(TestRun.withData(new byte[64])).retval());
            assertEquals(100 - ETH_HLEN, p.testRun(TestRun.withData(new byte[100])).retval());
        }
    }

    @Test
    void xdpReadsAndRewritesThePacket() {
        List<Instruction> code = new Assembler()
                .ldxW(R2, R1, XDP_DATA)
                .ldxW(R3, R1, XDP_DATA_END)
                .mov64(R1, R2).add64(R1, 2)
                .jgt(R1, R3, "pass")            // fewer than 2 bytes: pass
                .stB(R2, 1, 0x55)                // rewrite byte 1
                .ldxB(R1, R2, 0)
                .jne(R1, 0xAA, "pass")
                .mov64(R0, XDP_DROP).exit()
                .label("pass").mov64(R0, XDP_PASS).exit()
                .build();
        try (Program p = Program.load(spec("xdp_rw", ProgramType.XDP, code))) {
            byte[] packet = new byte[64];
            packet[0] = (byte) 0xAA;
            TestRun.Result drop = p.testRun(TestRun.withData(packet));
            assertEquals(XDP_DROP, drop.retval());
            packet[0] = 1;
            TestRun.Result pass = p.testRun(TestRun.withData(packet));
            assertEquals(XDP_PASS, pass.retval());
            assertEquals(64, pass.dataOut().length);
            assertEquals(0x55, pass.dataOut()[1]);
            assertEquals(1, pass.dataOut()[0]);
        }
    }

    /** key 0 of {@code map} += 1 through bpf_map_lookup_elem and an atomic add; returns {@code ret}. */
    static List<Instruction> countInto(BpfMap map, int ret) {
        return new Assembler()
                .stW(R10, -4, 0)
                .mov64(R2, R10).add64(R2, -4)
                .ldMapFd(R1, map.fd())
                .call(HELPER_MAP_LOOKUP_ELEM)
                .jeq(R0, 0, "out")
                .mov64(R1, 1)
                .atomicAdd(Size.DW, R0, R1, 0)
                .label("out").mov64(R0, ret).exit()
                .build();
    }

    @Test
    void tcProgramCountsIntoAMapAcrossRepeats() {
        try (BpfMap counts = BpfMap.create(MapSpec.of(MapType.ARRAY, 4, 8, 1).withName("tc_counts"));
             Program p = Program.load(spec("tc_count", ProgramType.SCHED_CLS, countInto(counts, 2)))) {
            TestRun.Result r = p.testRun(TestRun.withData(new byte[64]).repeat(25));
            assertEquals(2, r.retval());
            assertEquals(25L, counts.typed(Codec.INT, Codec.LONG).get(0).orElseThrow());
            assertTrue(p.info().mapIds().contains(counts.id()));
        }
    }

    @Test
    void runOnNativeDataRefusesHeapClosedAndForeignSegments() throws Exception {
        try (BpfMap counts = BpfMap.create(MapSpec.of(MapType.ARRAY, 4, 8, 1).withName("run_counts"));
             Program p = Program.load(spec("run_count", ProgramType.SCHED_CLS, countInto(counts, 2)));
             java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment data = arena.allocate(64);
            assertEquals(2, p.run(data, 3));
            assertEquals(3L, counts.typed(Codec.INT, Codec.LONG).get(0).orElseThrow());

            assertThrows(IllegalArgumentException.class,
                    () -> p.run(java.lang.foreign.MemorySegment.ofArray(new byte[64]), 1));
            java.lang.foreign.Arena gone = java.lang.foreign.Arena.ofConfined();
            java.lang.foreign.MemorySegment closed = gone.allocate(64);
            gone.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.run(closed, 1));
            assertTrue(e.getMessage().contains("already closed") && e.getMessage().contains("run_count"),
                    e.getMessage());
            var pool = java.util.concurrent.Executors.newSingleThreadExecutor();
            try {
                pool.submit(() -> assertThrows(WrongThreadException.class, () -> p.run(data, 1)))
                        .get(30, java.util.concurrent.TimeUnit.SECONDS);
            } finally {
                pool.shutdownNow();
            }
            assertEquals(3L, counts.typed(Codec.INT, Codec.LONG).get(0).orElseThrow(), "no refused run ran");
        }
    }

    @Test
    void rawTracepointReadsItsArguments() {
        List<Instruction> code = new Assembler()
                .ldxDW(R0, R1, 0).ldxDW(R2, R1, 8).add64(R0, R2).exit().build();
        try (Program p = Program.load(spec("raw_sum", ProgramType.RAW_TRACEPOINT, code))) {
            byte[] args = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putLong(40).putLong(2).array();
            assertEquals(42, p.testRun(TestRun.withContext(args)).retval());
        }
    }

    @Test
    void syscallProgramWritesItsContext() {
        List<Instruction> code = new Assembler()
                .ldxW(R2, R1, 0).mul64(R2, 3).stxW(R1, R2, 4)
                .mov64(R0, 7).exit().build();
        try (Program p = Program.load(spec("sys_ctx", ProgramType.SYSCALL, code).withFlags(ProgramSpec.F_SLEEPABLE))) {
            byte[] ctx = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putInt(14).putInt(0).array();
            TestRun.Result r = p.testRun(TestRun.withContext(ctx));
            assertEquals(7, r.retval());
            assertEquals(42, ByteBuffer.wrap(r.ctxOut()).order(ByteOrder.nativeOrder()).getInt(4));
        }
    }

    @Test
    void anUnsafeProgramIsRejectedWithTheVerifiersReason() {
        // Reads 8 bytes above the frame pointer: outside the stack.
        List<Instruction> code = new Assembler().mov64(R0, 0).ldxDW(R0, R10, 8).exit().build();
        VerifierException e = assertThrows(VerifierException.class,
                () -> Program.load(spec("unsafe", ProgramType.SOCKET_FILTER, code)));
        assertEquals("unsafe", e.program());
        assertTrue(e.log().contains("invalid read from stack"), e.log());
        assertTrue(e.getMessage().contains("invalid read from stack"), e.getMessage());
        assertEquals(1, e.failingInstruction().orElseThrow());
        assertTrue(e.lastLines(1).get(0).startsWith("processed") || e.log().contains("processed"), e.log());
    }

    @Test
    void aLogLevelKeepsTheLogOfASuccessfulLoadAndTheLogGrowsUntilItFits() {
        Assembler a = new Assembler().mov64(R0, 0);
        for (int i = 0; i < 400; i++) {
            a.add64(R0, 1);
        }
        List<Instruction> code = a.exit().build();
        // Level 2 logs every instruction's state: far more than the 4 KiB first buffer.
        try (Program p = Program.load(spec("chatty", ProgramType.SOCKET_FILTER, code),
                LoadOptions.DEFAULT.withLogLevel(2).withInitialLogSize(4096))) {
            String log = p.verifierLog();
            assertTrue(log.length() > 4096, "log of " + log.length() + " bytes");
            assertTrue(log.contains("processed 402 insns"), log.substring(Math.max(0, log.length() - 300)));
        }
    }

    @Test
    void infoPinsAndIds() throws Exception {
        Path dir = Mounts.bpffs().resolve("ebpf4j-test-prog-" + ProcessHandle.current().pid());
        Path pin = dir.resolve("p");
        List<Instruction> code = new Assembler().mov64(R0, 1).exit().build();
        try (Program p = Program.load(spec("pinme", ProgramType.SOCKET_FILTER, code))) {
            ProgramInfo info = p.infoWithInstructions();
            assertEquals("pinme", info.name());
            assertEquals(ProgramType.SOCKET_FILTER, info.type().orElseThrow());
            assertEquals(16, info.tag().length());
            assertTrue(info.gplCompatible());
            assertEquals(2 * Instruction.SLOT_SIZE, info.xlated().length);
            assertTrue(info.jited().length > 0);
            assertEquals(code, Instruction.decode(info.xlated()));
            assertFalse(Disassembler.DEFAULT.disassemble(Instruction.decode(info.xlated())).isEmpty());
            assertTrue(Program.ids().contains(info.id()));
            p.pin(pin);
            try (Program again = Program.openPinned(pin); Program byId = Program.fromId(info.id())) {
                assertEquals(info.id(), again.id());
                assertEquals(1, again.testRun(TestRun.withData(new byte[20])).retval());
                assertEquals("pinme", byId.name());
                assertEquals(info.xlated().length, byId.info().xlatedLength());
            }
            // A program pin opened as a map is refused before anything reads it as a map.
            io.ebpf4j.BpfException wrongKind = assertThrows(io.ebpf4j.BpfException.class, () -> BpfMap.openPinned(pin));
            assertTrue(wrongKind.getMessage().contains("is not a map (it is a program)"), wrongKind.getMessage());
        } finally {
            Files.deleteIfExists(pin);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void runTimeStatsCountRuns() throws Exception {
        List<Instruction> code = new Assembler().mov64(R0, 0).exit().build();
        try (Program p = Program.load(spec("stats", ProgramType.SCHED_CLS, code))) {
            try (AutoCloseable _ = Program.enableRunTimeStats()) {
                p.testRun(TestRun.withData(new byte[64]).repeat(5));
                assertTrue(p.info().runCount() >= 1, "run_cnt " + p.info().runCount());
            }
        }
    }

    @Test
    void bindMapKeepsAMapAliveWithTheProgram() {
        List<Instruction> code = new Assembler().mov64(R0, 0).exit().build();
        try (Program p = Program.load(spec("bind", ProgramType.SOCKET_FILTER, code))) {
            int mapId;
            try (BpfMap m = BpfMap.create(MapSpec.of(MapType.ARRAY, 4, 4, 1).withName("bound"))) {
                mapId = m.id();
                p.bindMap(m);
            }
            assertTrue(p.info().mapIds().contains(mapId));
            assertTrue(BpfMap.ids().contains(mapId), "the bound map outlives its fd");
        }
    }

    @Test
    void aWrongTypeOrAttachTypeIsExplained() {
        List<Instruction> code = new Assembler().mov64(R0, 0).exit().build();
        SyscallException e = assertThrows(SyscallException.class, () -> Program.load(
                spec("badattach", ProgramType.CGROUP_SOCK_ADDR, code).withExpectedAttachType(AttachType.XDP)));
        assertTrue(e.getMessage().contains("cgroup_sock_addr"), e.getMessage());
    }
}
