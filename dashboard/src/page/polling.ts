import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Polled<T> {
  data?: T;
  error?: string;
  loading: boolean;
  refresh: () => void;
}

/**
 * Calls `load` now and then every `intervalMs` after the previous call settled, until the component unmounts
 * or `deps` change; `intervalMs` 0 loads once. Calls never overlap: a refresh during a call runs right after it.
 */
export function usePolling<T>(load: () => Promise<T>, intervalMs: number, deps: readonly unknown[] = []): Polled<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const wake = useRef<() => void>(() => undefined);
  useEffect(() => {
    let stopped = false;
    let running = false;
    let again = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      clearTimeout(timer);
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        const data = await load();
        if (!stopped) setState({ data, loading: false });
      } catch (error) {
        if (!stopped) setState((before) => ({ ...before, error: (error as Error).message, loading: false }));
      }
      running = false;
      if (stopped) return;
      if (again) {
        again = false;
        void run();
      } else if (intervalMs > 0) timer = setTimeout(run, intervalMs);
    };
    wake.current = () => void run();
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, deps);
  const refresh = useCallback(() => wake.current(), []);
  return { ...state, refresh };
}
