package io.ebpf4j.btf.core;

import io.ebpf4j.BpfException;

/**
 * A CO-RE relocation could not be applied at all (as opposed to poisoned): a malformed access string, an
 * instruction that does not hold the value the compiler's BTF says it should, candidates that disagree.
 */
public class CoreRelocationException extends BpfException {
    private static final long serialVersionUID = 1L;

    /** A failure to relocate; {@code message} names the relocation, the program and what to do. */
    public CoreRelocationException(String message) {
        super(message);
    }
}
