package io.ebpf4j.asm;

import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.IntFunction;

/**
 * Renders instructions in the syntax of {@code llvm-objdump -d} for BPF ({@code r1 += r2},
 * {@code r2 = *(u32 *)(r1 + 0x4)}, {@code if w1 s> w2 goto -2}, ...). Immediates print as signed hexadecimal and
 * branch distances as signed decimal slot counts. Sub-word loads and stores name 64-bit registers, as objdump
 * does by default; 32-bit atomics name 32-bit registers, as objdump does with {@code +alu32}.
 *
 * <p>What llvm cannot show gets a compact notation: ld_imm64 with a pseudo source prints as
 * {@code map[fd:5]}, {@code map[fd:5]+0x10}, {@code map[idx:2]}, {@code btf_id:123} or {@code func pc+4};
 * bpf-to-bpf calls as {@code call pc+N}; kfunc calls as {@code call kfunc#<btf id>}. Instances are immutable.
 */
public final class Disassembler {

    /** Slot numbers only, numeric helper ids. */
    public static final Disassembler DEFAULT = new Disassembler();

    private static final HexFormat BYTES = HexFormat.ofDelimiter(" ");

    private final boolean rawBytes;
    private final IntFunction<String> helperNames;

    /** A disassembler without raw bytes that prints helpers by number. */
    public Disassembler() {
        this(false, id -> null);
    }

    private Disassembler(boolean rawBytes, IntFunction<String> helperNames) {
        this.rawBytes = rawBytes;
        this.helperNames = helperNames;
    }

    /** A copy that does or does not print each instruction's bytes after its slot number, as objdump does. */
    public Disassembler withRawBytes(boolean raw) {
        return new Disassembler(raw, helperNames);
    }

    /**
     * A copy that names helpers: a non-null name turns {@code call 0x1} into {@code call bpf_map_lookup_elem#1}.
     */
    public Disassembler withHelperNames(IntFunction<String> names) {
        return new Disassembler(rawBytes, Objects.requireNonNull(names, "names"));
    }

    /** One line per instruction, each prefixed with its slot index and ending in a newline. */
    public String disassemble(List<Instruction> program) {
        var out = new StringBuilder();
        int slot = 0;
        for (Instruction insn : program) {
            out.append(String.format("%4d: ", slot));
            if (rawBytes) {
                out.append(BYTES.formatHex(insn.encode())).append('\t');
            }
            out.append(format(insn)).append('\n');
            slot += insn.slots();
        }
        return out.toString();
    }

    /** The text of one instruction, without slot number. */
    public String format(Instruction insn) {
        String text = switch (insn.opClass()) {
            case ALU, ALU64 -> alu(insn);
            case JMP, JMP32 -> jump(insn);
            case LD -> ld(insn);
            case LDX -> ldx(insn);
            case ST -> st(insn);
            case STX -> stx(insn);
        };
        return text != null ? text : String.format("<unknown opcode 0x%02x>", insn.opcode());
    }

    // ---- per class; null means "not a defined instruction" --------------------------------------------------

    private static String alu(Instruction insn) {
        AluOp op = insn.aluOp();
        if (op == null) {
            return null;
        }
        boolean wide = insn.opClass() == OpClass.ALU64;
        boolean byReg = insn.source() == Source.X;
        String dst = reg(wide, insn.dst());
        String operand = byReg ? reg(wide, insn.src()) : hex(insn.imm());
        return switch (op) {
            case NEG -> dst + " = -" + dst;
            case END -> byteSwap(insn, wide);
            case MOV -> {
                if (insn.offset() == 0) {
                    yield dst + " = " + operand;
                }
                int from = insn.offset();
                boolean valid = byReg && (from == Byte.SIZE || from == Short.SIZE || (wide && from == Integer.SIZE));
                yield valid ? dst + " = (s" + from + ")" + operand : null;
            }
            case DIV, MOD -> (insn.offset() == 1 ? dst + " s" : dst + " ") + symbol(op) + "= " + operand;
            default -> dst + " " + symbol(op) + "= " + operand;
        };
    }

    private static String byteSwap(Instruction insn, boolean wide) {
        long bits = insn.imm();
        if (bits != Short.SIZE && bits != Integer.SIZE && bits != Long.SIZE) {
            return null;
        }
        String name;
        if (wide) {
            name = Endian.of(insn.opcode()) == Endian.TO_LE ? "bswap" : null;
        } else {
            name = Endian.of(insn.opcode()) == Endian.TO_LE ? "le" : "be";
        }
        // llvm shows the whole register whatever the class, since the result is always zero-extended.
        String r = reg(true, insn.dst());
        return name == null ? null : r + " = " + name + bits + " " + r;
    }

    private String jump(Instruction insn) {
        JmpOp op = insn.jmpOp();
        if (op == null) {
            return null;
        }
        boolean wide = insn.opClass() == OpClass.JMP;
        boolean byReg = insn.source() == Source.X;
        return switch (op) {
            case JA -> wide ? "goto " + relative(insn.offset()) : "gotol " + relative(insn.immLo());
            case CALL -> wide ? call(insn, byReg) : null;
            case EXIT -> wide ? "exit" : null;
            case JCOND -> wide ? "may_goto " + relative(insn.offset()) : null;
            default -> "if " + reg(wide, insn.dst()) + " " + symbol(op) + " "
                    + (byReg ? reg(wide, insn.src()) : hex(insn.imm())) + " goto " + relative(insn.offset());
        };
    }

    private String call(Instruction insn, boolean byReg) {
        if (byReg) {
            // llvm puts the target register of callx in the dst field.
            return "callx " + reg(true, insn.dst());
        }
        CallKind kind = insn.callKind();
        if (kind == null) {
            return null;
        }
        int imm = insn.immLo();
        return switch (kind) {
            case HELPER -> {
                String name = helperNames.apply(imm);
                yield name != null ? "call " + name + "#" + imm : "call " + hex(imm);
            }
            case SUBPROG -> "call pc" + relative(imm);
            case KFUNC -> "call kfunc#" + Integer.toUnsignedString(imm);
        };
    }

    private static String ld(Instruction insn) {
        Mode mode = insn.mode();
        if (insn.isLdImm64()) {
            return ldImm64(insn);
        }
        if (mode == Mode.ABS) {
            return "r0 = *(" + unsigned(insn.size()) + " *)skb[" + hex(insn.imm()) + "]";
        }
        if (mode == Mode.IND) {
            String index = insn.imm() == 0 ? reg(true, insn.src()) : sum(insn.src(), insn.immLo());
            return "r0 = *(" + unsigned(insn.size()) + " *)skb[" + index + "]";
        }
        return null;
    }

    private static String ldImm64(Instruction insn) {
        Imm64Kind kind = insn.imm64Kind();
        if (kind == null) {
            return null;
        }
        String value = switch (kind) {
            case PLAIN -> hex(insn.imm());
            case MAP_FD -> "map[fd:" + insn.immLo() + "]";
            case MAP_VALUE -> "map[fd:" + insn.immLo() + "]" + signedHex(insn.immHi());
            case MAP_IDX -> "map[idx:" + insn.immLo() + "]";
            case MAP_IDX_VALUE -> "map[idx:" + insn.immLo() + "]" + signedHex(insn.immHi());
            case BTF_ID -> "btf_id:" + Integer.toUnsignedString(insn.immLo());
            case FUNC -> "func pc" + relative(insn.immLo());
        };
        return reg(true, insn.dst()) + " = " + value + " ll";
    }

    private static String ldx(Instruction insn) {
        Mode mode = insn.mode();
        Size size = insn.size();
        String type;
        if (mode == Mode.MEM) {
            type = unsigned(size);
        } else if (mode == Mode.MEMSX && size != Size.DW) {
            type = "s" + size.bytes() * Byte.SIZE;
        } else {
            return null;
        }
        return reg(true, insn.dst()) + " = *(" + type + " *)" + address(insn.src(), insn.offset());
    }

    private static String st(Instruction insn) {
        if (insn.mode() != Mode.MEM) {
            return null;
        }
        return "*(" + unsigned(insn.size()) + " *)" + address(insn.dst(), insn.offset()) + " = " + hex(insn.imm());
    }

    private static String stx(Instruction insn) {
        Mode mode = insn.mode();
        if (mode == Mode.MEM) {
            return "*(" + unsigned(insn.size()) + " *)" + address(insn.dst(), insn.offset()) + " = "
                    + reg(true, insn.src());
        }
        return mode == Mode.ATOMIC ? atomic(insn) : null;
    }

    private static String atomic(Instruction insn) {
        AtomicOp op = insn.atomicOp();
        if (op == null) {
            return null;
        }
        Size size = insn.size();
        boolean wide = size == Size.DW;
        String type = unsigned(size);
        if (op == AtomicOp.LOAD_ACQ) {
            return reg(wide, insn.dst()) + " = load_acquire((" + type + " *)" + address(insn.src(), insn.offset()) + ")";
        }
        if (op == AtomicOp.STORE_REL) {
            return "store_release((" + type + " *)" + address(insn.dst(), insn.offset()) + ", "
                    + reg(wide, insn.src()) + ")";
        }
        if (size != Size.W && size != Size.DW) {
            return null;
        }
        String src = reg(wide, insn.src());
        String addr = address(insn.dst(), insn.offset());
        String bare = sum(insn.dst(), insn.offset());
        return switch (op) {
            case XCHG -> src + " = xchg" + (wide ? "_64(" : "32_32(") + bare + ", " + src + ")";
            case CMPXCHG -> {
                String r0 = reg(wide, Register.R0.index());
                yield r0 + " = cmpxchg" + (wide ? "_64(" : "32_32(") + bare + ", " + r0 + ", " + src + ")";
            }
            default -> insn.isAtomicFetch()
                    ? src + " = atomic_fetch_" + op.name().toLowerCase(Locale.ROOT)
                            + "((" + type + " *)" + addr + ", " + src + ")"
                    : "lock *(" + type + " *)" + addr + " " + symbol(op) + "= " + src;
        };
    }

    // ---- pieces ----------------------------------------------------------------------------------------------

    private static String symbol(AluOp op) {
        return switch (op) {
            case ADD -> "+";
            case SUB -> "-";
            case MUL -> "*";
            case DIV -> "/";
            case OR -> "|";
            case AND -> "&";
            case LSH -> "<<";
            case RSH -> ">>";
            case MOD -> "%";
            case XOR -> "^";
            case ARSH -> "s>>";
            case NEG, MOV, END -> throw new IllegalArgumentException(op + " has no compound-assignment form");
        };
    }

    private static String symbol(AtomicOp op) {
        return switch (op) {
            case ADD -> "+";
            case OR -> "|";
            case AND -> "&";
            case XOR -> "^";
            default -> throw new IllegalArgumentException(op + " has no compound-assignment form");
        };
    }

    private static String symbol(JmpOp op) {
        return switch (op) {
            case JEQ -> "==";
            case JNE -> "!=";
            case JGT -> ">";
            case JGE -> ">=";
            case JLT -> "<";
            case JLE -> "<=";
            case JSGT -> "s>";
            case JSGE -> "s>=";
            case JSLT -> "s<";
            case JSLE -> "s<=";
            case JSET -> "&";
            case JA, CALL, EXIT, JCOND -> throw new IllegalArgumentException(op + " does not compare");
        };
    }

    private static String reg(boolean wide, int index) {
        return (wide ? "r" : "w") + index;
    }

    private static String unsigned(Size size) {
        return "u" + size.bytes() * Byte.SIZE;
    }

    /** {@code (r1 + 0x4)} or {@code (r10 - 0x8)}. */
    private static String address(int base, int offset) {
        return "(" + sum(base, offset) + ")";
    }

    /** {@code r1 + 0x4} or {@code r10 - 0x8}. */
    private static String sum(int base, int offset) {
        return "r" + base + (offset < 0 ? " - " : " + ") + "0x" + Long.toHexString(Math.abs((long) offset));
    }

    private static String hex(long value) {
        return value < 0 ? "-0x" + Long.toUnsignedString(-value, 16) : "0x" + Long.toHexString(value);
    }

    private static String signedHex(int value) {
        return value < 0 ? hex(value) : "+" + hex(value);
    }

    private static String relative(int delta) {
        return delta < 0 ? Integer.toString(delta) : "+" + delta;
    }
}
