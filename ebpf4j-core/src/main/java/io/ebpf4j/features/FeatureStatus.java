package io.ebpf4j.features;

/** The answer of one probe: supported or not, and why (the kernel's errno or log line). */
public record FeatureStatus(boolean supported, String reason) {
    public static FeatureStatus yes() {
        return new FeatureStatus(true, "");
    }

    public static FeatureStatus no(String reason) {
        return new FeatureStatus(false, reason);
    }

    /** Throws {@link io.ebpf4j.UnsupportedFeatureException} naming {@code feature} when not supported. */
    public void require(String feature) {
        if (!supported) {
            throw new io.ebpf4j.UnsupportedFeatureException(feature, reason);
        }
    }
}
