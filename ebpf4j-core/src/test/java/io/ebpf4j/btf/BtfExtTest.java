package io.ebpf4j.btf;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class BtfExtTest {
    /** Writes a .BTF.ext: each section is rec_size then blocks of {sec_name_off, num_info, records}. */
    static byte[] ext(ByteOrder order, int hdrLen, int[] funcInfo, int[] lineInfo, int[] coreRelo) {
        int fl = funcInfo.length * 4;
        int ll = lineInfo.length * 4;
        int cl = coreRelo.length * 4;
        ByteBuffer b = ByteBuffer.allocate(hdrLen + fl + ll + cl).order(order);
        b.putShort((short) 0xeB9F).put((byte) 1).put((byte) 0).putInt(hdrLen);
        b.putInt(0).putInt(fl).putInt(fl).putInt(ll);
        if (hdrLen >= 32) {
            b.putInt(fl + ll).putInt(cl);
        }
        b.position(hdrLen);
        for (int[] s : new int[][] {funcInfo, lineInfo, coreRelo}) {
            for (int v : s) {
                b.putInt(v);
            }
        }
        return b.array();
    }

    /** A .BTF with two functions and a struct, and the strings the .BTF.ext below points at. */
    static final class Fixture {
        final BtfWriter w;
        final int xdp;
        final int tc;
        final int pair;
        final int secXdp;
        final int secTc;
        final int file;
        final int line;
        final int access;

        Fixture(ByteOrder order) {
            w = new BtfWriter(order);
            int i = w.addInt("int", 4, true);
            int proto = w.addFuncProto(i);
            xdp = w.addFunc("xdp_prog", proto, 1);
            tc = w.addFunc("tc_prog", proto, 1);
            pair = w.addStruct("pair", 8, new BtfWriter.Member("a", i, 0), new BtfWriter.Member("b", i, 32));
            secXdp = w.string("xdp");
            secTc = w.string("tc");
            file = w.string("/src/x.bpf.c");
            line = w.string("\treturn b;");
            access = w.string("0:1");
        }

        byte[] ext(ByteOrder order, int hdrLen) {
            return BtfExtTest.ext(order, hdrLen,
                    new int[] {8, secXdp, 1, 0, xdp, secTc, 1, 0, tc},
                    new int[] {16, secXdp, 1, 0, file, line, 12 << 10 | 2, secTc, 2, 0, file, line, 20 << 10 | 1, 16, file, line, 21 << 10 | 3},
                    hdrLen >= 32 ? new int[] {16, secTc, 1, 8, pair, access, 0} : new int[0]);
        }
    }

    @Test
    void decodesEverySectionInBothByteOrders() {
        for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            Fixture f = new Fixture(order);
            Btf btf = Btf.parse(f.w.toBytes());
            BtfExt ext = BtfExt.parse(f.ext(order, 32), btf);
            assertEquals(order, ext.byteOrder());
            assertEquals(List.of("xdp", "tc"), List.copyOf(ext.funcInfos().keySet()));
            assertEquals(List.of(new BtfExt.FuncInfo(0, f.xdp)), ext.funcInfos("xdp"));
            assertEquals(List.of(new BtfExt.FuncInfo(0, f.tc)), ext.funcInfos("tc"));
            assertEquals(List.of(new BtfExt.LineInfo(0, f.file, "/src/x.bpf.c", f.line, "\treturn b;", 20, 1),
                    new BtfExt.LineInfo(16, f.file, "/src/x.bpf.c", f.line, "\treturn b;", 21, 3)), ext.lineInfos("tc"));
            assertEquals(12 << 10 | 2, ext.lineInfos("xdp").getFirst().lineCol());
            assertEquals(List.of(new BtfExt.CoreRelo(8, f.pair, f.access, "0:1", BtfExt.CoreReloKind.FIELD_BYTE_OFFSET)),
                    ext.coreRelos("tc"));
            assertEquals(8, ext.funcInfoRecordSize());
            assertEquals(16, ext.lineInfoRecordSize());
            assertEquals(16, ext.coreReloRecordSize());
            assertTrue(ext.funcInfos("nothing").isEmpty());
        }
    }

    @Test
    void aShortHeaderHasNoCoreRelocations() {
        Fixture f = new Fixture(ByteOrder.nativeOrder());
        BtfExt ext = BtfExt.parse(f.ext(ByteOrder.nativeOrder(), 24), Btf.parse(f.w.toBytes()));
        assertTrue(ext.coreRelos().isEmpty());
        assertEquals(0, ext.coreReloRecordSize());
        assertEquals(2, ext.lineInfos("tc").size());
    }

    @Test
    void largerRecordsAreSteppedOver() {
        Fixture f = new Fixture(ByteOrder.nativeOrder());
        byte[] e = ext(ByteOrder.nativeOrder(), 32, new int[] {12, f.secXdp, 2, 0, f.xdp, 99, 8, f.tc, 99}, new int[0], new int[0]);
        BtfExt ext = BtfExt.parse(e, Btf.parse(f.w.toBytes()));
        assertEquals(List.of(new BtfExt.FuncInfo(0, f.xdp), new BtfExt.FuncInfo(8, f.tc)), ext.funcInfos("xdp"));
        assertEquals(12, ext.funcInfoRecordSize());
    }

    private static void rejects(byte[] e, Btf btf, String... parts) {
        String m = assertThrows(BtfFormatException.class, () -> BtfExt.parse(e, btf)).getMessage();
        for (String p : parts) {
            assertTrue(m.contains(p), "\"" + m + "\" should mention \"" + p + "\"");
        }
    }

    @Test
    void malformed() {
        ByteOrder o = ByteOrder.nativeOrder();
        Fixture f = new Fixture(o);
        Btf btf = Btf.parse(f.w.toBytes());
        byte[] ok = f.ext(o, 32);
        for (int n : new int[] {0, 1, 12, 23}) {
            rejects(Arrays.copyOf(ok, n), btf, "truncated");
        }
        byte[] b = ok.clone();
        b[1] = 0;
        rejects(b, btf, "magic", "byte offset 0");
        b = ok.clone();
        ByteBuffer.wrap(b).order(o).putInt(4, 20);
        rejects(b, btf, "hdr_len 20", "byte offset 4");
        for (int cut = 32; cut < ok.length; cut += 5) {
            rejects(Arrays.copyOf(ok, cut), btf, "past the end");
        }
        b = ok.clone();
        ByteBuffer.wrap(b).order(o).putInt(32, 4);
        rejects(b, btf, "func_info rec_size 4", "byte offset 32");
        b = ok.clone();
        ByteBuffer.wrap(b).order(o).putInt(32 + 8, 1000);
        rejects(b, btf, "func_info block", "\"xdp\"", "byte offset 36", "num_info 1000");
        b = ok.clone();
        ByteBuffer.wrap(b).order(o).putInt(32 + 4, 1 << 20);
        rejects(b, btf, "sec_name_off 1048576", "byte offset 36");
        b = ok.clone();
        ByteBuffer.wrap(b).order(o).putInt(32 + 16, 500);
        rejects(b, btf, "type id 500", "byte offset 48");
        b = ok.clone();
        ByteBuffer.wrap(b).order(o).putInt(b.length - 4, 77);
        rejects(b, btf, "CO-RE relocation kind 77", "byte offset " + (b.length - 4));

        byte[] longer = f.ext(o, 40);
        BtfExt.parse(longer, btf);
        longer[33] = 1;
        rejects(longer, btf, "offset 33", "not zero");
    }

    @Test
    void fuzz() {
        ByteOrder o = ByteOrder.nativeOrder();
        Fixture f = new Fixture(o);
        Btf btf = Btf.parse(f.w.toBytes());
        byte[] seed = f.ext(o, 32);
        Random rnd = new Random(0xE71);
        int parsed = 0;
        for (int round = 0; round < 3000; round++) {
            byte[] b = seed.clone();
            String what = BtfMalformedTest.mutate(b, rnd);
            if (what.startsWith("truncate")) {
                b = Arrays.copyOf(b, rnd.nextInt(b.length));
            }
            try {
                BtfExt.parse(b, btf);
                parsed++;
            } catch (BtfFormatException expected) {
                // the point
            } catch (Throwable t) {
                fail("round " + round + " (" + what + "): " + t, t);
            }
        }
        assertTrue(parsed > 300, "parsed " + parsed);
    }

    static final String PROGRAM = """
            #define SEC(name) __attribute__((section(name), used))

            struct xdp_md { unsigned int data; unsigned int data_end; };
            struct __sk_buff { unsigned int len; };
            struct pair { int a; int b; } __attribute__((preserve_access_index));

            static long (*bpf_probe_read_kernel)(void *dst, unsigned int size, const void *src) = (void *) 113;

            SEC("xdp")
            int xdp_prog(struct xdp_md *ctx)
            {
            	return ctx->data_end > ctx->data ? 2 : 1;
            }

            SEC("tc")
            int tc_prog(struct __sk_buff *skb)
            {
            	struct pair *p = (struct pair *)(long)skb->len;
            	int b = 0;

            	bpf_probe_read_kernel(&b, sizeof(b), &p->b);
            	return b;
            }

            char LICENSE[] SEC("license") = "GPL";
            """;

    /** What clang emits for a two-program object with a CO-RE field access. Skipped without clang-19 and llvm-objcopy-19. */
    @Test
    void clangOutput(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("x.bpf.c");
        Files.writeString(src, PROGRAM);
        Path obj = dir.resolve("x.o");
        run(dir, "clang-19", "-g", "-O2", "-target", "bpf", "-c", src.toString(), "-o", obj.toString());
        Path btfBin = dir.resolve("btf.bin");
        Path extBin = dir.resolve("ext.bin");
        run(dir, "llvm-objcopy-19", "--dump-section", ".BTF=" + btfBin, "--dump-section", ".BTF.ext=" + extBin, obj.toString());

        Btf btf = Btf.parse(Files.readAllBytes(btfBin));
        BtfExt ext = BtfExt.parse(Files.readAllBytes(extBin), btf);
        List<String> lines = PROGRAM.lines().toList();

        for (String[] sp : new String[][] {{"xdp", "xdp_prog"}, {"tc", "tc_prog"}}) {
            List<BtfExt.FuncInfo> fi = ext.funcInfos(sp[0]);
            assertEquals(1, fi.size(), sp[0]);
            assertEquals(0, fi.getFirst().insnOff());
            BtfType.Func fn = assertInstanceOf(BtfType.Func.class, btf.type(fi.getFirst().typeId()));
            assertEquals(sp[1], fn.name());

            List<BtfExt.LineInfo> li = ext.lineInfos(sp[0]);
            assertFalse(li.isEmpty(), sp[0]);
            int prev = -1;
            for (BtfExt.LineInfo l : li) {
                assertTrue(l.fileName().endsWith("x.bpf.c"), l.toString());
                assertTrue(l.lineNumber() >= 1 && l.lineNumber() <= lines.size(), l.toString());
                assertEquals(lines.get(l.lineNumber() - 1), l.line(), "the line text is the source's");
                assertTrue(l.insnOff() % 8 == 0 && l.insnOff() >= prev, "byte offsets of instructions, ascending");
                prev = l.insnOff();
            }
            int declared = lines.indexOf("int " + sp[1] + (sp[0].equals("xdp") ? "(struct xdp_md *ctx)" : "(struct __sk_buff *skb)")) + 1;
            int closing = lines.subList(declared, lines.size()).indexOf("}") + declared + 1;
            for (BtfExt.LineInfo l : li) {
                assertTrue(l.lineNumber() >= declared && l.lineNumber() <= closing,
                        l + " should be in " + sp[1] + ", lines " + declared + " to " + closing);
            }
        }

        List<BtfExt.CoreRelo> relos = ext.coreRelos("tc");
        BtfExt.CoreRelo pb = relos.stream().filter(r -> btf.nameOf(r.typeId()).equals("pair")).findFirst().orElseThrow();
        assertEquals("0:1", pb.accessString());
        assertEquals(BtfExt.CoreReloKind.FIELD_BYTE_OFFSET, pb.kind());
        assertTrue(pb.insnOff() > 0 && pb.insnOff() % 8 == 0);
        assertEquals(16, ext.coreReloRecordSize());
        assertTrue(ext.coreRelos("xdp").stream().allMatch(r -> !r.accessString().isEmpty()));
    }

    private static void run(Path dir, String... cmd) throws InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort(cmd[0] + " is not on PATH, so there is no compiler output to check (" + e.getMessage() + ")");
            return;
        }
        String out;
        try (var in = p.getInputStream()) {
            out = new String(in.readAllBytes());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), cmd[0] + " timed out");
        assertEquals(0, p.exitValue(), String.join(" ", new ArrayList<>(List.of(cmd))) + ":\n" + out);
    }
}
