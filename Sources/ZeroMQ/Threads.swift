import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif

private final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Starts a detached POSIX thread (not part of the Swift cooperative pool).
func spawnDetachedThread(name: String, _ body: @escaping @Sendable () -> Void) throws(ZMQError) {
    let threadName = String(name.utf8.prefix(15)) ?? "zmq"
    let box = Unmanaged.passRetained(ThreadBody {
        _ = czmq_set_thread_name(threadName)
        body()
    }).toOpaque()
    var attr = pthread_attr_t()
    pthread_attr_init(&attr)
    pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
    var tid = pthread_t()
    let rc = pthread_create(&tid, &attr, { arg in
        let body = Unmanaged<ThreadBody>.fromOpaque(arg!).takeRetainedValue()
        body.run()
        return nil
    }, box)
    pthread_attr_destroy(&attr)
    if rc != 0 {
        Unmanaged<ThreadBody>.fromOpaque(box).release()
        throw ZMQError(code: rc, operation: "pthread_create(\(name))")
    }
}

/// A raw libzmq handle (context). libzmq contexts are thread-safe.
struct ContextHandle: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
}
