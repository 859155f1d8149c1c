package io.ebpf4j.btf.core;

import io.ebpf4j.btf.BtfKind;

/** Name and kind rules shared by candidate search and matching. */
final class CoreNames {
    private CoreNames() {
    }

    /**
     * The name without its flavor: everything before the last {@code X___Y} separator (X and Y not underscores),
     * so {@code task_struct___v2} is {@code task_struct} and {@code a____b} keeps its name.
     */
    static String essential(String name) {
        for (int i = name.length() - 5; i >= 0; i--) {
            if (name.charAt(i) != '_' && name.charAt(i + 1) == '_' && name.charAt(i + 2) == '_'
                    && name.charAt(i + 3) == '_' && name.charAt(i + 4) != '_') {
                return name.substring(0, i + 1);
            }
        }
        return name;
    }

    static boolean isEnum(BtfKind k) {
        return k == BtfKind.ENUM || k == BtfKind.ENUM64;
    }

    /** Same kind, where a 32-bit and a 64-bit enum count as one kind. */
    static boolean kindsCompatible(BtfKind a, BtfKind b) {
        return a == b || (isEnum(a) && isEnum(b));
    }
}
