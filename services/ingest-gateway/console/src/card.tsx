import type { ComponentChildren } from 'preact';

interface CardProps {
  title: string;
  /** A short line under the title: what the numbers mean, or where they come from. */
  hint?: ComponentChildren;
  /** Controls shown on the right of the title (inputs, selects). */
  tools?: ComponentChildren;
  area: string;
  children: ComponentChildren;
}

/** One panel of the console grid. */
export function Card({ title, hint, tools, area, children }: CardProps) {
  return (
    <section class={`card card-${area}`} aria-label={title}>
      <header class="card-head">
        <div class="card-title">
          <h2>{title}</h2>
          {hint !== undefined && <p class="card-hint">{hint}</p>}
        </div>
        {tools !== undefined && <div class="card-tools">{tools}</div>}
      </header>
      <div class="card-body">{children}</div>
    </section>
  );
}

/** What a panel shows while it has nothing to show. */
export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

/** A read that failed: the API's message, in place of the data. */
export function ErrorNote({ message }: { message: string }) {
  return (
    <p class="error-note" role="alert">
      {message}
    </p>
  );
}
