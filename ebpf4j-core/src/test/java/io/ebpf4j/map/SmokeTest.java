package io.ebpf4j.map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SmokeTest {
    @Test
    void hashRoundTrip() {
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.HASH, 4, 8, 16).withName("smoke"))) {
            var t = m.typed(Codec.INT, Codec.LONG);
            t.put(1, 42L);
            assertEquals(42L, t.get(1).orElseThrow());
            assertEquals("smoke", m.info().name());
        }
    }
}
