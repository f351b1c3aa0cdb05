// How the process's JavaScript heap grows. V8's default lets a busy heap grow to several times the
// live data before a full collection (a 10,000-pod cluster with ~170 MB live ran at ~750 MB RSS);
// kube-apiserver and the other Go components collect when the heap has doubled (GOGC=100). A
// desktop app that must stay light makes the same trade: more frequent collections, a heap
// bounded near twice what is live. Set by the composition roots (serve, the Electron main).
import v8 from 'node:v8';

export function collectLikeGoComponents(): void {
  v8.setFlagsFromString('--heap-growing-percent=100');
}
