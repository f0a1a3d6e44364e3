// A form field with a visible label, an optional hint and the server's message for it, wired
// for screen readers (aria-describedby, aria-invalid).
import type { ComponentChildren, JSX } from 'preact';
import { useId } from 'preact/hooks';

type InputProps = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'label'> & {
  label: ComponentChildren;
  hint?: ComponentChildren;
  error?: string | null;
};

export function Field({ label, hint, error, id, class: className, ...input }: InputProps) {
  const auto = useId();
  const inputId = (id as string | undefined) ?? `f-${auto}`;
  const hintId = hint ? `${inputId}-hint` : undefined;
  const errorId = error ? `${inputId}-error` : undefined;
  const described = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field ${error ? 'field-invalid' : ''} ${className ?? ''}`}>
      <label for={inputId}>{label}</label>
      <input id={inputId} aria-describedby={described} aria-invalid={error ? true : undefined} {...input} />
      {hint && (
        <p class="hint" id={hintId}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={errorId} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

type AreaProps = Omit<JSX.TextareaHTMLAttributes<HTMLTextAreaElement>, 'label'> & {
  label: ComponentChildren;
  hint?: ComponentChildren;
  error?: string | null;
};

export function TextArea({ label, hint, error, id, ...area }: AreaProps) {
  const auto = useId();
  const areaId = (id as string | undefined) ?? `t-${auto}`;
  const hintId = hint ? `${areaId}-hint` : undefined;
  const errorId = error ? `${areaId}-error` : undefined;
  return (
    <div class={`field ${error ? 'field-invalid' : ''}`}>
      <label for={areaId}>{label}</label>
      <textarea
        id={areaId}
        aria-describedby={[hintId, errorId].filter(Boolean).join(' ') || undefined}
        aria-invalid={error ? true : undefined}
        {...area}
      />
      {hint && (
        <p class="hint" id={hintId}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={errorId} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

type SelectProps = Omit<JSX.SelectHTMLAttributes<HTMLSelectElement>, 'label'> & {
  label: ComponentChildren;
  hint?: ComponentChildren;
  error?: string | null;
  children: ComponentChildren;
};

export function Select({ label, hint, error, id, children, ...select }: SelectProps) {
  const auto = useId();
  const selectId = (id as string | undefined) ?? `s-${auto}`;
  const hintId = hint ? `${selectId}-hint` : undefined;
  const errorId = error ? `${selectId}-error` : undefined;
  return (
    <div class={`field ${error ? 'field-invalid' : ''}`}>
      <label for={selectId}>{label}</label>
      <select
        id={selectId}
        aria-describedby={[hintId, errorId].filter(Boolean).join(' ') || undefined}
        aria-invalid={error ? true : undefined}
        {...select}
      >
        {children}
      </select>
      {hint && (
        <p class="hint" id={hintId}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={errorId} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

export function Checkbox({
  label,
  hint,
  id,
  ...input
}: Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'label'> & { label: ComponentChildren; hint?: ComponentChildren }) {
  const auto = useId();
  const inputId = (id as string | undefined) ?? `c-${auto}`;
  const hintId = hint ? `${inputId}-hint` : undefined;
  return (
    <div class="field field-check">
      <input type="checkbox" id={inputId} aria-describedby={hintId} {...input} />
      <label for={inputId}>{label}</label>
      {hint && (
        <p class="hint" id={hintId}>
          {hint}
        </p>
      )}
    </div>
  );
}
