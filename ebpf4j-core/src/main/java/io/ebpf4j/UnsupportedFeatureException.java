package io.ebpf4j;

/** The running kernel lacks something the caller asked for: a program or map type, a helper, an attribute. */
public class UnsupportedFeatureException extends BpfException {
    private static final long serialVersionUID = 1L;
    private final String feature;

    public UnsupportedFeatureException(String feature, String reason) {
        super("this kernel lacks " + feature + (reason == null || reason.isEmpty() ? "" : ": " + reason));
        this.feature = feature;
    }

    /** What is missing, e.g. {@code "map type ARENA"} or {@code "BPF_PROG_LOAD attribute fd_array_cnt"}. */
    public String feature() {
        return feature;
    }
}
