package io.ebpf4j.btf;

import io.ebpf4j.BpfException;

/**
 * BTF or {@code .BTF.ext} data that does not follow the format: a bad header, a section past the end, a type
 * record that runs out of bytes, an offset outside the string section. The message names what is wrong and
 * where (type id and byte offset from the start of the data).
 */
public class BtfFormatException extends BpfException {
    private static final long serialVersionUID = 1L;

    public BtfFormatException(String message) {
        super(message);
    }
}
