import { useState } from 'preact/hooks';

/** The console's name and logo, on the key form and above the panels. */
export function Brand() {
  return (
    <div class="brand">
      <span class="logo" aria-hidden="true">
        T
      </span>
      <h1>Tally console</h1>
      <span class="tagline">real-time counting on Kafka</span>
    </div>
  );
}

/**
 * What the page shows until it has a key: nothing of the console, only a form for an API key with `console:read`,
 * and, when the gateway refused the last one, why.
 */
export function KeyForm({ reason, onKey }: { reason: string | undefined; onKey: (key: string) => void }) {
  const [draft, setDraft] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    const key = draft.trim();
    if (key) onKey(key);
  };
  return (
    <div class="page">
      <header class="topbar">
        <Brand />
      </header>
      <main class="sign-in">
        <form class="card key-form" data-testid="key-form" onSubmit={submit}>
          <h2>Sign in</h2>
          <p class="card-hint">
            The console is for operators: enter an API key with the scope <code>console:read</code> (and{' '}
            <code>wallets:read</code> to follow a wallet, <code>queues:read</code> to look up tickets). It stays in this
            tab only and is sent as an <code>Authorization</code> header.
          </p>
          {reason && (
            <p class="problem" role="alert" data-testid="key-problem">
              The gateway refused the key: {reason}
            </p>
          )}
          <label class="field">
            <span class="field-label">API key</span>
            <input
              type="password"
              data-testid="key-input"
              value={draft}
              autocomplete="off"
              spellcheck={false}
              onInput={(e) => setDraft(e.currentTarget.value)}
            />
          </label>
          <button type="submit" data-testid="key-submit">
            Open the console
          </button>
        </form>
      </main>
    </div>
  );
}
