package io.ebpf4j.program;

/**
 * How to load: the verifier log (level 0 = only fetch a log when loading fails), live objects the load refers to
 * (BTF, the program or BTF object an attach target lives in, a token), and a device to bind to.
 *
 * @param logLevel 0, 1 (verbose), 2 (very verbose), or with 4 (stats); a level above 0 keeps the log on success
 * @param initialLogSize the first log buffer's size in bytes; it grows until the log fits
 * @param fdArray file descriptors the program refers to by index (maps, module BTFs), or null
 */
public record LoadOptions(int logLevel, int initialLogSize, int btfFd, int attachProgFd, int attachBtfObjFd,
                          int ifindex, int tokenFd, int[] fdArray, FuncInfo funcInfo, LineInfo lineInfo) {
    public static final int DEFAULT_LOG_SIZE = 64 * 1024;
    public static final LoadOptions DEFAULT = new LoadOptions(0, DEFAULT_LOG_SIZE, 0, 0, 0, 0, 0, null, null, null);

    /**
     * {@code bpf_func_info} records for the program's functions, in the BTF given by {@code btfFd}: each is
     * {@code recordSize} bytes, starting with the function's first instruction index and its BTF FUNC id.
     */
    public record FuncInfo(byte[] records, int recordSize, int count) {
    }

    /**
     * {@code bpf_line_info} records for the program's source lines, in the BTF given by {@code btfFd}: each is
     * {@code recordSize} bytes: instruction index, file name and line text offsets in the BTF strings, line and
     * column. With them the verifier's log shows the source line of each instruction it reports.
     */
    public record LineInfo(byte[] records, int recordSize, int count) {
    }

    public LoadOptions withLineInfo(LineInfo info) {
        return new LoadOptions(logLevel, initialLogSize, btfFd, attachProgFd, attachBtfObjFd, ifindex, tokenFd, fdArray,
                funcInfo, info);
    }

    public LoadOptions withFuncInfo(FuncInfo info) {
        return new LoadOptions(logLevel, initialLogSize, btfFd, attachProgFd, attachBtfObjFd, ifindex, tokenFd, fdArray,
                info, lineInfo);
    }

    public LoadOptions withLogLevel(int level) {
        return new LoadOptions(level, initialLogSize, btfFd, attachProgFd, attachBtfObjFd, ifindex, tokenFd, fdArray,
                funcInfo, lineInfo);
    }

    public LoadOptions withInitialLogSize(int size) {
        return new LoadOptions(logLevel, size, btfFd, attachProgFd, attachBtfObjFd, ifindex, tokenFd, fdArray,
                funcInfo, lineInfo);
    }

    public LoadOptions withBtfFd(int fd) {
        return new LoadOptions(logLevel, initialLogSize, fd, attachProgFd, attachBtfObjFd, ifindex, tokenFd, fdArray,
                funcInfo, lineInfo);
    }

    public LoadOptions withAttachProgFd(int fd) {
        return new LoadOptions(logLevel, initialLogSize, btfFd, fd, attachBtfObjFd, ifindex, tokenFd, fdArray,
                funcInfo, lineInfo);
    }

    /** The module BTF object holding the attach target (attach_btf_id is then a type id in that module's BTF). */
    public LoadOptions withAttachBtfObjFd(int fd) {
        return new LoadOptions(logLevel, initialLogSize, btfFd, attachProgFd, fd, ifindex, tokenFd, fdArray, funcInfo,
                lineInfo);
    }

    public LoadOptions withTokenFd(int fd) {
        return new LoadOptions(logLevel, initialLogSize, btfFd, attachProgFd, attachBtfObjFd, ifindex, fd, fdArray,
                funcInfo, lineInfo);
    }

    public LoadOptions withFdArray(int[] fds) {
        return new LoadOptions(logLevel, initialLogSize, btfFd, attachProgFd, attachBtfObjFd, ifindex, tokenFd, fds,
                funcInfo, lineInfo);
    }
}
