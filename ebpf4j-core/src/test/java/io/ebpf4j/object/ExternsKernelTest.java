package io.ebpf4j.object;

import io.ebpf4j.BpfException;
import io.ebpf4j.KernelAccess;
import io.ebpf4j.asm.Instruction;
import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfKind;
import io.ebpf4j.btf.BtfType;
import io.ebpf4j.map.MapInfo;
import io.ebpf4j.program.TestRun;
import io.ebpf4j.testing.BpfC;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** kconfig, typeless and typed ksyms and kfunc calls resolved against this kernel, loaded and run. */
class ExternsKernelTest {
    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    /** The running kernel's config, read independently of the loader. */
    private static Map<String, String> config() throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(Path.of("/proc/config.gz")))) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            java.util.Map<String, String> out = new java.util.HashMap<>();
            for (String line : text.split("\n")) {
                int eq = line.indexOf('=');
                if (line.startsWith("CONFIG_") && eq > 0) {
                    out.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
            return out;
        }
    }

    private static long kallsyms(String name) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/kallsyms"))) {
            String[] f = line.split("\\s+");
            if (f.length >= 3 && f[2].equals(name)) {
                return Long.parseUnsignedLong(f[0], 16);
            }
        }
        throw new AssertionError(name + " is not in /proc/kallsyms");
    }

    private static byte[] pidContext() {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt((int) ProcessHandle.current().pid()).array();
    }

    @Test
    void kconfigKsymsAndKfuncsResolveLoadAndRead() throws IOException {
        ObjectSpec spec = ObjectSpec.read(BpfC.object("externs"));
        try (BpfObject obj = BpfObject.load(spec)) {
            assertEquals(0, obj.program("read_externs").testRun(TestRun.withContext(pidContext())).retval());
            Map<String, String> config = config();
            assertEquals(Long.parseLong(config.get("CONFIG_HZ")), obj.variableLong("hz"));
            String bpfSyscall = config.get("CONFIG_BPF_SYSCALL");
            assertEquals(bpfSyscall == null ? 0 : bpfSyscall.equals("y") ? 1 : bpfSyscall.equals("m") ? 2 : 0,
                    obj.variableLong("bpf_syscall"));
            assertEquals("y".equals(config.get("CONFIG_BPF_JIT")) ? 1 : 0, obj.variableLong("jit"));
            String host = config.get("CONFIG_DEFAULT_HOSTNAME");
            byte[] hostname = obj.readVariable("hostname");
            int n = 0;
            while (n < hostname.length && hostname[n] != 0) {
                n++;
            }
            assertEquals(host.substring(1, host.length() - 1), new String(hostname, 0, n, StandardCharsets.UTF_8));
            assertEquals(Long.parseLong(config.get("CONFIG_NR_CPUS")), obj.variableLong("nr_cpus"));
            String[] release = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip().split("[.-]");
            long version = Long.parseLong(release[0]) << 16 | Long.parseLong(release[1]) << 8
                    | Math.min(255, Long.parseLong(release[2]));
            assertEquals(version, obj.variableLong("kernel_version"));
            assertEquals(1, obj.variableLong("has_cookie"), "6.18 has bpf_get_attach_cookie");
            assertEquals(1, obj.variableLong("has_wrapper"), "x86-64 6.18 has __x64_sys_bpf");
            assertEquals(0, obj.variableLong("not_a_config"), "a missing weak kconfig reads zero");
            assertEquals(kallsyms("__x64_sys_bpf"), obj.variableLong("sys_bpf_addr"));
            assertEquals(0, obj.variableLong("missing_sym_exists"));
            assertEquals(0, obj.variableLong("missing_kfunc_exists"));
            assertEquals(1, obj.variableLong("present_kfunc_exists"), "a kfunc's address (BPF_PSEUDO_BTF_ID of a FUNC)");
            assertEquals(ProcessHandle.current().pid(), obj.variableLong("task_pid"),
                    "bpf_task_from_pid (a kfunc) found this process");

            // The .kconfig map: read-only for programs, frozen, its value typed by the .kconfig DATASEC.
            MapDef kconfig = spec.maps().values().stream().filter(m -> m.origin() == MapDef.Origin.KCONFIG)
                    .findFirst().orElseThrow();
            MapInfo info = obj.map(kconfig.name()).info();
            assertTrue(info.btfId() > 0, "the kconfig map has BTF: " + info);
            assertTrue(info.frozen(), "the kconfig map is frozen");
            assertEquals(spec.btf().find(".kconfig", BtfKind.DATASEC).orElseThrow(), info.btfValueTypeId());
        }
    }

    @Test
    void externsAreLaidOutAsLibbpfDoes() {
        ObjectSpec spec = ObjectSpec.read(BpfC.object("externs", "TYPED_KSYM"));
        List<Externs.Extern> externs = spec.externs();
        Externs.Extern hz = externs.stream().filter(e -> e.name().equals("CONFIG_HZ")).findFirst().orElseThrow();
        assertEquals(Externs.Kind.KCONFIG, hz.kind());
        assertEquals(Externs.KconfigType.INT, hz.kconfigType());
        assertTrue(hz.signed());
        Externs.Extern tristate = externs.stream().filter(e -> e.name().equals("CONFIG_BPF_SYSCALL")).findFirst()
                .orElseThrow();
        assertEquals(Externs.KconfigType.TRISTATE, tristate.kconfigType());
        // Sorted by alignment (descending), then size, then name; offsets aligned.
        List<Externs.Extern> kcfg = externs.stream().filter(e -> e.kind() == Externs.Kind.KCONFIG).toList();
        for (int i = 1; i < kcfg.size(); i++) {
            assertTrue(kcfg.get(i - 1).align() >= kcfg.get(i).align());
            assertTrue(kcfg.get(i).offset() % kcfg.get(i).align() == 0);
            assertTrue(kcfg.get(i).offset() >= kcfg.get(i - 1).offset() + kcfg.get(i - 1).size());
        }
        Externs.Extern sysBpf = externs.stream().filter(e -> e.name().equals("__x64_sys_bpf")).findFirst().orElseThrow();
        assertEquals(Externs.Kind.KSYM, sysBpf.kind());
        assertTrue(!sysBpf.typed(), "const void: typeless");
        Externs.Extern rq = externs.stream().filter(e -> e.name().equals("runqueues")).findFirst().orElseThrow();
        assertTrue(rq.typed());
        Externs.Extern kfunc = externs.stream().filter(e -> e.name().equals("bpf_task_from_pid")).findFirst().orElseThrow();
        assertEquals(Externs.Kind.KFUNC, kfunc.kind());
        assertTrue(externs.stream().filter(e -> e.name().startsWith("ebpf4j_no_such")).allMatch(Externs.Extern::weak));

        // The BTF the kernel gets: .kconfig placed like the map, .ksyms only allocated 4-byte variables.
        Btf fixed = Btf.parse(spec.loadableBtf());
        BtfType.Datasec kconfig = (BtfType.Datasec) fixed.type(fixed.find(".kconfig", BtfKind.DATASEC).orElseThrow());
        assertEquals(Externs.kconfigSize(externs), kconfig.size());
        int last = -1;
        for (BtfType.VarSecinfo vs : kconfig.vars()) {
            assertTrue(vs.offset() > last, "sorted by offset");
            last = vs.offset();
            BtfType.Var v = (BtfType.Var) fixed.type(vs.type());
            assertEquals(BtfType.Linkage.GLOBAL, v.linkage());
            assertEquals(externs.stream().filter(e -> e.name().equals(v.name())).findFirst().orElseThrow().offset(),
                    vs.offset());
        }
        BtfType.Datasec ksyms = (BtfType.Datasec) fixed.type(fixed.find(".ksyms", BtfKind.DATASEC).orElseThrow());
        for (BtfType.VarSecinfo vs : ksyms.vars()) {
            BtfType.Var v = assertInstanceOf(BtfType.Var.class, fixed.type(vs.type()));
            assertEquals(BtfType.Linkage.GLOBAL, v.linkage());
            assertEquals(4, vs.size());
        }
        assertTrue(ksyms.vars().stream().anyMatch(vs -> fixed.nameOf(vs.type()).equals("dummy_ksym")),
                "kfuncs stand in the DATASEC as dummy_ksym");
        BtfType.Func kfuncType = (BtfType.Func) fixed.type(fixed.find("bpf_task_from_pid", BtfKind.FUNC).orElseThrow());
        assertEquals(BtfType.Linkage.GLOBAL, kfuncType.linkage());
    }

    private static boolean kallsymsListsVariables() throws IOException {
        try (var lines = Files.lines(Path.of("/proc/kallsyms"))) {
            return lines.anyMatch(l -> l.endsWith(" bpf_prog_active"));
        }
    }

    @Test
    void typedPerCpuKsymsLoadAndRead() throws IOException {
        Assumptions.assumeTrue(kallsymsListsVariables(), "this kernel lists no variables in /proc/kallsyms "
                + "(CONFIG_KALLSYMS_ALL is off), so it cannot place typed ksyms such as bpf_prog_active; "
                + "typedKsymWithoutKallsymsIsExplained covers this kernel");
        try (BpfObject obj = BpfObject.load(ObjectSpec.read(BpfC.object("externs", "TYPED_KSYM")))) {
            assertEquals(0, obj.program("read_externs").testRun(TestRun.withContext(pidContext())).retval());
            assertTrue(obj.variableLong("prog_active") >= 0, "bpf_prog_active read through bpf_this_cpu_ptr");
            long cpu = obj.variableLong("rq_cpu");
            assertTrue(cpu >= 0 && cpu < 8192, "runqueues.cpu " + cpu);
        }
    }

    @Test
    void typedKsymWithoutKallsymsIsExplained() throws IOException {
        Assumptions.assumeFalse(kallsymsListsVariables(), "this kernel lists variables in kallsyms: "
                + "typedPerCpuKsymsLoadAndRead loads them");
        ObjectSpec spec = ObjectSpec.read(BpfC.object("externs", "TYPED_KSYM"));
        BpfException e = assertThrows(BpfException.class, () -> BpfObject.load(spec).close());
        assertTrue(e.getMessage().contains("typed ksym 'bpf_prog_active'"), e.getMessage());
        assertTrue(e.getMessage().contains("CONFIG_KALLSYMS_ALL"), e.getMessage());
    }

    @Test
    void aWeakTypedKsymLoadsEitherWay() throws IOException {
        try (BpfObject obj = BpfObject.load(ObjectSpec.read(BpfC.object("externs", "WEAK_TYPED_KSYM")))) {
            assertEquals(0, obj.program("read_externs").testRun(TestRun.withContext(pidContext())).retval());
            if (kallsymsListsVariables()) {
                assertEquals(1, obj.variableLong("weak_typed_exists"));
                assertTrue(obj.variableLong("prog_active") >= 0);
            } else {
                assertEquals(0, obj.variableLong("weak_typed_exists"), "not placeable here: treated as missing");
                assertEquals(-1, obj.variableLong("prog_active"), "the guarded read did not run");
            }
        }
    }

    @Test
    void resolvedInstructionsCarryKernelIds() throws IOException {
        boolean typedVars = kallsymsListsVariables();
        ObjectSpec spec = ObjectSpec.read(BpfC.object("externs", typedVars ? "TYPED_KSYM" : null));
        Btf vmlinux = Btf.loadKernel();
        int taskFromPid = vmlinux.find("bpf_task_from_pid", BtfKind.FUNC).orElseThrow();
        int runqueues = vmlinux.find("runqueues", BtfKind.VAR).orElseThrow();
        List<Instruction> slots = new java.util.ArrayList<>(spec.link("read_externs").slots());
        java.util.Set<String> seen = new java.util.HashSet<>();
        try (ExternResolver r = ExternResolver.resolve(spec.name(), spec.externs(), spec.btf())) {
            for (Reloc rel : spec.link("read_externs").relocations()) {
                if (!(rel instanceof Reloc.Extern x)) {
                    continue;
                }
                r.apply(slots, x, 99, "read_externs");
                Instruction i = slots.get(x.insn());
                String what = x.name() + (x.call() ? " call" : " load");
                switch (what) {
                    case "bpf_task_from_pid call" -> {
                        assertEquals(ExternResolver.PSEUDO_KFUNC_CALL, i.src());
                        assertEquals(taskFromPid, (int) i.imm());
                        assertEquals(0, i.offset(), "vmlinux kfuncs use fd_array index 0");
                    }
                    case "bpf_task_acquire load" -> {
                        assertEquals(ExternResolver.PSEUDO_BTF_ID, i.src(), "a kfunc's address");
                        assertEquals(vmlinux.find("bpf_task_acquire", BtfKind.FUNC).orElseThrow(), i.immLo());
                        assertEquals(0, i.immHi(), "vmlinux: no BTF object fd");
                    }
                    case "runqueues load" -> {
                        assertEquals(ExternResolver.PSEUDO_BTF_ID, i.src());
                        assertEquals(runqueues, i.immLo());
                        assertEquals(0, i.immHi());
                    }
                    case "bpf_ebpf4j_no_such_kfunc call" -> {
                        assertEquals(0, i.src());
                        assertTrue(i.imm() >= ExternResolver.POISON_KFUNC_BASE, "poisoned call " + i);
                    }
                    case "bpf_ebpf4j_no_such_kfunc load", "ebpf4j_no_such_symbol load" -> {
                        assertEquals(0, i.src());
                        assertEquals(0, i.imm(), "a missing weak extern's address is 0");
                    }
                    case "__x64_sys_bpf load" -> {
                        assertEquals(0, i.src());
                        assertEquals(kallsyms("__x64_sys_bpf"), i.imm());
                    }
                    case "CONFIG_HZ load" -> {
                        assertEquals(BpfObject.PSEUDO_MAP_VALUE, i.src());
                        assertEquals(99, i.immLo(), "the .kconfig map's fd");
                        int offset = spec.externs().stream().filter(e -> e.name().equals("CONFIG_HZ")).findFirst()
                                .orElseThrow().offset();
                        assertEquals(offset, i.immHi());
                    }
                    default -> {
                    }
                }
                seen.add(what);
            }
        }
        assertTrue(seen.containsAll(List.of("bpf_task_from_pid call", "bpf_task_acquire load",
                "bpf_ebpf4j_no_such_kfunc call", "__x64_sys_bpf load", "CONFIG_HZ load")), seen.toString());
        assertEquals(typedVars, seen.contains("runqueues load"));
    }

    @Test
    void aStrongMissingKsymIsAnErrorNamingIt() {
        ObjectSpec spec = ObjectSpec.read(BpfC.object("externs", "STRONG_MISSING"));
        BpfException e = assertThrows(BpfException.class, () -> BpfObject.load(spec).close());
        assertTrue(e.getMessage().contains("ebpf4j_strong_missing"), e.getMessage());
        assertTrue(e.getMessage().contains("__weak"), e.getMessage());
    }
}
