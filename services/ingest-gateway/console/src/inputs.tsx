import { useEffect, useState } from 'preact/hooks';

interface CommitInputProps {
  value: string;
  onCommit: (value: string) => void;
  testId: string;
  label: string;
  placeholder?: string;
  /** id of a <datalist> to offer choices from */
  list?: string;
  width?: string;
}

/**
 * A text field that applies its value only when the user is done with it (Enter, leaving the field,
 * picking a datalist choice), so typing does not reopen the live stream on every key.
 */
export function CommitInput({ value, onCommit, testId, label, placeholder, list, width }: CommitInputProps) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);

  const commit = (text: string) => {
    const next = text.trim();
    if (next !== value) onCommit(next);
  };

  return (
    <label class="field">
      <span class="field-label">{label}</span>
      <input
        type="text"
        data-testid={testId}
        value={draft}
        placeholder={placeholder}
        list={list}
        spellcheck={false}
        autocomplete="off"
        style={width ? { width } : undefined}
        onInput={(e) => {
          setDraft(e.currentTarget.value);
          // Chrome reports a datalist pick as a replacement, not typing: apply it at once.
          if (e instanceof InputEvent && e.inputType === 'insertReplacementText') commit(e.currentTarget.value);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit(e.currentTarget.value);
        }}
        onChange={(e) => commit(e.currentTarget.value)}
        onBlur={(e) => commit(e.currentTarget.value)}
      />
    </label>
  );
}

/** A <datalist> of ids the server has seen, for CommitInput's `list`. */
export function Choices({ id, values }: { id: string; values: readonly string[] }) {
  return (
    <datalist id={id}>
      {values.map((v) => (
        <option key={v} value={v} />
      ))}
    </datalist>
  );
}

interface LookupRowProps {
  value: string;
  onInput: (value: string) => void;
  onLookUp: (e: Event) => void;
  testId: string;
  buttonTestId: string;
  label: string;
  button: string;
}

/** A field and its button, looked up on submit (Enter or the button). */
export function LookupRow({ value, onInput, onLookUp, testId, buttonTestId, label, button }: LookupRowProps) {
  return (
    <form class="lookup-row" onSubmit={onLookUp}>
      <input
        type="text"
        data-testid={testId}
        placeholder={label.toLowerCase()}
        aria-label={label}
        value={value}
        spellcheck={false}
        onInput={(e) => onInput(e.currentTarget.value)}
      />
      <button type="submit" data-testid={buttonTestId}>
        {button}
      </button>
    </form>
  );
}
