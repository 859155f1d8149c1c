package io.ebpf4j;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BpfTokenKernelTest {
    @Test
    void aBpffsWithoutDelegationGivesNoTokenAndSaysWhy() {
        KernelAccess.assume();
        SyscallException e = assertThrows(SyscallException.class, () -> BpfToken.create(Mounts.bpffs()));
        assertTrue(e.getMessage().contains("BPF_TOKEN_CREATE"), e.getMessage());
        assertTrue(e.getMessage().contains("delegate"), e.getMessage());
        assertTrue(e.errno() == Errno.EOPNOTSUPP || e.errno() == Errno.EPERM, e.getMessage());
    }
}
