// Policy: every setting of SPEC §3, grouped as UX.md says (who can receive, how they prove it,
// how long it lasts, the organization). "Save policy" sends only what changed; the server's
// message lands on the field it names, with focus moved there.
import { useRef, useState } from 'preact/hooks';
import { api, call, problemOf, type Schemas } from '../../api/client';
import { Checkbox, Field, Select, TextArea } from '../../components/Field';
import { Loading } from '../../components/Loading';
import { Notice } from '../../components/Notice';
import {
  durationReading,
  kGroups,
  planPatch,
  settingFor,
  toForm,
  visibleSettings,
  type FormValues,
  type PolicyValues,
  type Setting,
} from './policy';
import { sentence } from './directory';
import { useLoad } from './useLoad';
import { LoadFailed } from '../../components/LoadFailed';

type Outcome =
  | { kind: 'saved'; notes: string[] }
  | { kind: 'unchanged' }
  | { kind: 'error'; message: string; label?: string };

function inputId(key: string): string {
  return `policy-${key.replace(/_/g, '-')}`;
}

export function PolicyTab() {
  const loaded = useLoad(async () => (await call(api.GET('/api/v1/admin/settings'))) as PolicyValues);
  if (loaded.loading && !loaded.data) return <Loading what="Loading the policy" />;
  if (!loaded.data) {
    return (
      <LoadFailed title="The policy could not be loaded." problem={loaded.problem} retry={loaded.reload} />
    );
  }
  return <PolicyForm policy={loaded.data} onSaved={loaded.setData} />;
}

function PolicyForm({ policy, onSaved }: { policy: PolicyValues; onSaved: (p: PolicyValues) => void }) {
  const [form, setForm] = useState<FormValues>(() => toForm(policy));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);
  const outcomeRef = useRef<HTMLDivElement>(null);
  const settings = visibleSettings(policy);

  const set = (key: string, value: string | boolean) => {
    setForm((f) => ({ ...f, [key]: value }));
    if (errors[key]) setErrors((e) => ({ ...e, [key]: '' }));
  };

  const focusField = (key: string) => {
    window.setTimeout(() => document.getElementById(inputId(key))?.focus(), 0);
  };
  const focusOutcome = () => window.setTimeout(() => outcomeRef.current?.focus(), 0);

  const submit = async (e: Event) => {
    e.preventDefault();
    setOutcome(null);
    setErrors({});
    const plan = planPatch(policy, form);
    if (plan.invalid) {
      setErrors({ [plan.invalid.key]: plan.invalid.message });
      setOutcome({ kind: 'error', message: plan.invalid.message, label: settingFor(plan.invalid.key)?.label });
      focusField(plan.invalid.key);
      return;
    }
    if (Object.keys(plan.patch).length === 0) {
      setOutcome({ kind: 'unchanged' });
      focusOutcome();
      return;
    }
    setBusy(true);
    try {
      const next = (await call(
        api.PATCH('/api/v1/admin/settings', { body: plan.patch as Schemas['PolicyPatch'] }),
      )) as PolicyValues;
      onSaved(next);
      setForm(toForm(next));
      setOutcome({ kind: 'saved', notes: plan.adjusted.map((a) => a.note) });
      focusOutcome();
    } catch (err) {
      const p = problemOf(err);
      const setting = settingFor(p.field);
      if (setting && settings.includes(setting)) {
        setErrors({ [setting.key]: sentence(p.message) });
        setOutcome({ kind: 'error', message: sentence(p.message), label: setting.label });
        focusField(setting.key);
      } else {
        setOutcome({ kind: 'error', message: sentence(p.message) });
        focusOutcome();
      }
    } finally {
      setBusy(false);
    }
  };

  const control = (s: Setting) => {
    const id = inputId(s.key);
    const error = errors[s.key] || null;
    const value = form[s.key];
    switch (s.kind) {
      case 'bool':
        return (
          <Checkbox
            key={s.key}
            id={id}
            name={s.key}
            label={s.label}
            hint={s.hint}
            checked={Boolean(value)}
            onChange={(e) => set(s.key, e.currentTarget.checked)}
          />
        );
      case 'choice':
        return (
          <Select
            key={s.key}
            id={id}
            name={s.key}
            label={s.label}
            hint={s.hint}
            error={error}
            value={String(value)}
            onChange={(e) => set(s.key, e.currentTarget.value)}
          >
            {s.options!.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </Select>
        );
      case 'domains':
        return (
          <TextArea
            key={s.key}
            id={id}
            name={s.key}
            label={s.label}
            hint={s.hint}
            error={error}
            rows={3}
            spellcheck={false}
            autoCapitalize="none"
            placeholder="partner.example"
            value={String(value)}
            onInput={(e) => set(s.key, e.currentTarget.value)}
          />
        );
      case 'duration': {
        const reading = durationReading(String(value));
        return (
          <Field
            key={s.key}
            id={id}
            name={s.key}
            label={s.label}
            class="field-short"
            hint={
              <>
                {s.hint}{' '}
                {!error && <span class={reading.ok ? 'duration-reading' : 'duration-reading bad'}>{reading.words}</span>}
              </>
            }
            error={error}
            type="text"
            spellcheck={false}
            autoCapitalize="none"
            autoComplete="off"
            value={String(value)}
            onInput={(e) => set(s.key, e.currentTarget.value)}
          />
        );
      }
      case 'count':
        return (
          <Field
            key={s.key}
            id={id}
            name={s.key}
            label={s.label}
            class="field-short"
            hint={s.hint}
            error={error}
            type="text"
            inputMode="numeric"
            autoComplete="off"
            value={String(value)}
            onInput={(e) => set(s.key, e.currentTarget.value)}
          />
        );
      default:
        return (
          <Field
            key={s.key}
            id={id}
            name={s.key}
            label={s.label}
            hint={s.hint}
            error={error}
            type="text"
            value={String(value)}
            onInput={(e) => set(s.key, e.currentTarget.value)}
          />
        );
    }
  };

  return (
    <form class="policy-form" onSubmit={submit} noValidate>
      <p class="muted">
        A change applies at once to every existing link and session: access is checked against the policy in force at
        each request, not the one a link was made under.
      </p>
      {kGroups.map((g) => {
        const inGroup = settings.filter((s) => s.group === g.id);
        if (inGroup.length === 0) return null;
        return (
          <fieldset key={g.id} class="policy-group">
            <legend>{g.title}</legend>
            <p class="hint policy-intro">{g.intro}</p>
            {inGroup.map(control)}
          </fieldset>
        );
      })}
      <div ref={outcomeRef} tabIndex={-1} class="outcome">
        {outcome?.kind === 'saved' && (
          <Notice kind="success" title="Saved. The change applies to existing links and sessions at once.">
            {outcome.notes.map((n) => (
              <p key={n}>{n}</p>
            ))}
          </Notice>
        )}
        {outcome?.kind === 'unchanged' && (
          <Notice kind="info">Nothing to save: the policy already has these values.</Notice>
        )}
        {outcome?.kind === 'error' && (
          <Notice kind="error" title="The policy was not saved; nothing changed.">
            <p>
              {outcome.label ? <strong>{outcome.label}: </strong> : null}
              {outcome.message}
            </p>
          </Notice>
        )}
      </div>
      <div class="form-actions policy-actions">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save policy'}
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() => {
            setForm(toForm(policy));
            setErrors({});
            setOutcome(null);
          }}
        >
          Undo changes
        </button>
      </div>
    </form>
  );
}
