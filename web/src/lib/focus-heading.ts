/**
 * Moves the focus to the main heading (h1) of the page that comes next, once it is shown:
 * after signing in, a screen reader starts on the page reached, not on the top of the
 * document. Waits (at most 10 s) for an h1 other than the current one, since pages are lazy
 * and show "Loading…" first. Returns a function that stops waiting (e.g. the sign-in failed).
 */
export function focusNextHeading(timeoutMs = 10_000): () => void {
  const old = document.querySelector('h1');
  const tryFocus = (): boolean => {
    const h1 = document.querySelector('h1');
    if (!h1 || h1 === old) return false;
    if (!h1.hasAttribute('tabindex')) h1.setAttribute('tabindex', '-1');
    h1.focus();
    return true;
  };
  const observer = new MutationObserver(() => {
    if (tryFocus()) stop();
  });
  const timer = window.setTimeout(() => stop(), timeoutMs);
  function stop() {
    observer.disconnect();
    window.clearTimeout(timer);
  }
  observer.observe(document.body, { childList: true, subtree: true });
  return stop;
}
