import { useEffect, useState } from 'react';

/** The current time, re-read every `everyMs` so that "5 minutes ago" and online/stale keep up. */
export function useNow(everyMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
