// The share dialog ("Share <name>"): link type (only what the policy allows, the others disabled
// with the reason), access, people as chips that say who each address is as it is typed, expiry
// within the policy's limits, password for anyone links, block download, message. After "Share":
// the link with "Copy link", and each recipient's invitation as it goes out (sending → sent, or
// failed with the relay's answer).
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { problemOf } from '../../api/client';
import { Dialog } from '../../components/Dialog';
import { Checkbox, Field, Select, TextArea } from '../../components/Field';
import { Loading } from '../../components/Loading';
import { Notice } from '../../components/Notice';
import { formatDate, looksLikeEmail } from '../../lib/format';
import { toast } from '../../state/toasts';
import {
  accessOf,
  checkRecipients,
  createLink,
  sharingOptions,
  type ExpiryLimits,
  type LinkCreate,
  type LinkCreated,
  type LinkKind,
  type LinkRecipient,
  type LinkRole,
  type RecipientCheck,
  type RefusedRecipient,
  type SharingOptions,
} from '../files/api';
import {
  chipWords,
  dateInputIn,
  defaultDateOf,
  deliveryWords,
  expiryOf,
  isRefused,
  kKindWords,
  kRoleWords,
  maxDateOf,
  recipientStateWords,
  splitAddresses,
} from './words';

interface Chip {
  address: string;
  refusal?: string; // why the server (or a plain look) refused it
}

const kPollEveryMs = 1000;
const kPollTimes = 15;

function limitsOf(options: SharingOptions, kind: LinkKind): ExpiryLimits | undefined {
  return kind === 'existing' ? undefined : options.expiry[kind];
}

// Copies with the async clipboard, or the old way when the browser refuses it.
export async function copyText(text: string, fallback?: HTMLInputElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (!fallback) return false;
    fallback.select();
    return document.execCommand('copy');
  }
}

export function ShareDialog({
  item,
  onClose,
  onManage,
}: {
  item: { id: number; name: string; kind: string };
  onClose: () => void;
  onManage?: () => void;
}) {
  const [options, setOptions] = useState<SharingOptions | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [kind, setKind] = useState<LinkKind>('specific');
  const [role, setRole] = useState<LinkRole>('view');
  const [chips, setChips] = useState<Chip[]>([]);
  const [draft, setDraft] = useState('');
  const [checks, setChecks] = useState<Record<string, RecipientCheck>>({});
  const [checkFailed, setCheckFailed] = useState(false);
  const [expires, setExpires] = useState('');
  const [password, setPassword] = useState('');
  const [blockDownload, setBlockDownload] = useState(false);
  const [message, setMessage] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<LinkCreated | null>(null);
  const [recipients, setRecipients] = useState<LinkRecipient[]>([]);
  const [watching, setWatching] = useState(false);
  const linkInput = useRef<HTMLInputElement>(null);
  const copyButton = useRef<HTMLButtonElement>(null);
  const peopleInput = useRef<HTMLDivElement>(null);
  const ids = useId();

  useEffect(() => {
    let live = true;
    sharingOptions(item.id)
      .then((opts) => {
        if (!live) return;
        setOptions(opts);
        const allowed = opts.kinds.filter((k) => k.allowed).map((k) => k.kind);
        const first = allowed.includes(opts.default_kind) ? opts.default_kind : allowed[0] ?? opts.default_kind;
        setKind(first);
        setRole(opts.default_role);
        setExpires(defaultDateOf(limitsOf(opts, first)));
      })
      .catch((e) => live && setLoadError(problemOf(e).message));
    return () => {
      live = false;
    };
  }, [item.id]);

  // Each address is checked as it is typed (debounced): the draft and any chip not checked yet.
  useEffect(() => {
    if (kind !== 'specific') return;
    const wanted = [...chips.map((c) => c.address), ...(looksLikeEmail(draft) ? [draft.trim()] : [])]
      .filter((a) => looksLikeEmail(a) && !checks[a.toLowerCase()])
      .slice(0, 50);
    if (wanted.length === 0) return;
    let live = true;
    const timer = window.setTimeout(() => {
      checkRecipients(item.id, wanted)
        .then((found) => {
          if (!live) return;
          setChecks((old) => {
            const next = { ...old };
            for (const r of found) next[r.address.toLowerCase()] = r;
            return next;
          });
        })
        .catch(() => live && setCheckFailed(true)); // the server checks again on "Share"
    }, 300);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [chips, draft, kind]);

  // After "Share": follow the invitations until none is still on its way (bounded).
  useEffect(() => {
    if (!result || !recipients.some((r) => r.delivery === 'queued')) {
      setWatching(false);
      return;
    }
    setWatching(true);
    let live = true;
    let times = 0;
    const tick = async () => {
      times += 1;
      try {
        const report = await accessOf(item.id);
        const link = report.links.find((l) => l.id === result.id);
        if (live && link) setRecipients(link.recipients);
        if (link && !link.recipients.some((r) => r.delivery === 'queued')) {
          if (live) setWatching(false);
          return;
        }
      } catch {
        /* keep the last known state */
      }
      if (live && times < kPollTimes) timer = window.setTimeout(tick, kPollEveryMs);
      else if (live) setWatching(false);
    };
    let timer = window.setTimeout(tick, kPollEveryMs);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [result]);

  useEffect(() => {
    if (result) copyButton.current?.focus();
  }, [result]);

  // Once the form is there, start where the work is: the people field (or the link type).
  useEffect(() => {
    if (!options) return;
    const dialog = peopleInput.current?.closest('dialog') ?? document.querySelector('dialog[open]');
    (peopleInput.current?.querySelector('input') ?? dialog?.querySelector<HTMLElement>('.share-form select'))?.focus();
  }, [options]);

  const addAddresses = (text: string): Chip[] => {
    const have = new Set(chips.map((c) => c.address.toLowerCase()));
    const added: Chip[] = [];
    for (const a of splitAddresses(text)) {
      if (have.has(a.toLowerCase())) continue;
      have.add(a.toLowerCase());
      added.push(looksLikeEmail(a) ? { address: a } : { address: a, refusal: 'this is not a valid email address' });
    }
    const next = [...chips, ...added];
    if (added.length) setChips(next);
    setDraft('');
    if (added.length) setErrors((e) => ({ ...e, recipients: '' }));
    return next;
  };

  const chipState = (c: Chip): { text: string; tone: string } => {
    if (c.refusal) return { text: c.refusal, tone: 'refused' };
    if (checkFailed && !checks[c.address.toLowerCase()]) return { text: 'will be checked when you share', tone: 'checking' };
    return chipWords(checks[c.address.toLowerCase()], undefined);
  };

  const title = `Share ${item.name}`;
  if (loadError) {
    return (
      <Dialog title={title} open onClose={onClose}>
        <Notice kind="error" title="Sharing options could not be loaded">
          <p>{loadError}</p>
        </Notice>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </Dialog>
    );
  }
  if (!options) {
    return (
      <Dialog title={title} open onClose={onClose}>
        <Loading what="Loading what you may share" />
      </Dialog>
    );
  }

  if (result) {
    const url = result.url;
    return (
      <Dialog title={title} open onClose={onClose} wide>
        <Notice kind="success" title={recipients.length ? `${item.name} is shared with ${recipients.length} ${recipients.length === 1 ? 'person' : 'people'}` : 'The link is ready'}>
          <p>
            {result.kind === 'specific'
              ? 'Only the people below can open it. Each gets an invitation by email; someone outside the organization confirms their address with a code.'
              : `${kKindWords[result.kind]} can open it with this link.`}
            {result.effective_expires_at ? ` It works until ${formatDate(result.effective_expires_at)}.` : ''}
          </p>
        </Notice>
        <div class="field">
          <label for={`link-${ids}`}>Link</label>
          <div class="copy-row">
            <input id={`link-${ids}`} ref={linkInput} readOnly value={url} onFocus={(e) => e.currentTarget.select()} />
            <button
              ref={copyButton}
              type="button"
              class="primary"
              onClick={async () => {
                const ok = await copyText(url, linkInput.current);
                toast(ok ? 'Link copied' : 'Copying was refused by the browser: select the link and copy it yourself.', ok ? 'info' : 'error');
              }}
            >
              Copy link
            </button>
          </div>
          <p class="hint">This is the only time the link is shown. Share it yourself, or rely on the invitations.</p>
        </div>
        {recipients.length > 0 && (
          <section aria-labelledby={`inv-${ids}`}>
            <h3 id={`inv-${ids}`}>Invitations</h3>
            <ul class="list deliveries" aria-live="polite">
              {recipients.map((r) => {
                const d = deliveryWords(r);
                return (
                  <li key={r.address} class="delivery" data-address={r.address}>
                    <span class="delivery-address">{r.address}</span>
                    <span class={`badge badge-${d.tone === 'ok' ? 'ok' : d.tone === 'bad' ? 'bad' : 'warn'} delivery-state`}>
                      Invitation {d.text}
                    </span>
                    <span class="muted small">{recipientStateWords(r)}</span>
                  </li>
                );
              })}
            </ul>
            {watching && <p class="hint">Following the emails as they go out…</p>}
          </section>
        )}
        <div class="row">
          <button type="button" class="primary" onClick={onClose}>
            Done
          </button>
          {onManage && (
            <button type="button" onClick={onManage}>
              Manage access
            </button>
          )}
        </div>
      </Dialog>
    );
  }

  const limits = limitsOf(options, kind);
  const maxDate = maxDateOf(limits);
  const notAllowed = options.kinds.filter((k) => !k.allowed);
  const draftCheck = looksLikeEmail(draft) ? chipWords(checks[draft.trim().toLowerCase()]) : null;

  const submit = async () => {
    const list = draft.trim() ? addAddresses(draft) : chips;
    const errs: Record<string, string> = {};
    if (kind === 'specific') {
      if (list.length === 0) errs.recipients = 'Add at least one email address, or choose another link type.';
      const refused = list.filter((c) => c.refusal || isRefused(checks[c.address.toLowerCase()]));
      if (refused.length) {
        errs.recipients = `${refused.length === 1 ? 'One address is' : `${refused.length} addresses are`} refused (marked below). Remove ${refused.length === 1 ? 'it' : 'them'} to share with the others.`;
      }
    }
    if (kind === 'anyone' && options.anyone_requires_password && password.length === 0) {
      errs.password = 'The organization requires a password for links anyone can open.';
    }
    if (kind === 'anyone' && password.length > 0 && password.length < options.min_password_length) {
      errs.password = `Use at least ${options.min_password_length} characters.`;
    }
    setErrors(errs);
    setProblem(null);
    if (Object.values(errs).some(Boolean)) return;
    const body: LinkCreate = { kind, role: kind === 'existing' ? 'view' : role, block_download: blockDownload && kind !== 'existing' };
    if (kind === 'specific') body.recipients = list.map((c) => c.address);
    const at = expiryOf(expires, limitsOf(options, kind));
    if (at && kind !== 'existing') body.expires_at = at;
    if (kind === 'anyone' && password) body.password = password;
    if (message.trim()) body.message = message.trim();
    setBusy(true);
    try {
      const link = await createLink(item.id, body);
      setRecipients(link.recipients);
      setResult(link);
    } catch (e) {
      const p = problemOf(e);
      const refused = (p.body as { error?: { refused?: RefusedRecipient[] } } | undefined)?.error?.refused;
      if (refused?.length) {
        const why = new Map(refused.map((r) => [r.address.toLowerCase(), r.message]));
        setChips(list.map((c) => ({ ...c, refusal: why.get(c.address.toLowerCase()) ?? c.refusal })));
        setErrors({
          recipients: `Nothing was shared: ${refused.length === 1 ? 'one address is' : `${refused.length} addresses are`} refused (marked below). Remove ${refused.length === 1 ? 'it' : 'them'}, then share again.`,
        });
      } else if (p.field) {
        const field = { expires_in: 'expires_at' }[p.field] ?? p.field;
        if (['recipients', 'expires_at', 'password', 'message', 'role', 'kind'].includes(field)) setErrors({ [field]: p.message });
        else setProblem(p.message);
      } else {
        setProblem(p.message);
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={title} open onClose={onClose} wide>
      <form
        class="share-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        {problem && <Notice kind="error">{problem}</Notice>}
        <Select
          label="Link type"
          value={kind}
          error={errors.kind}
          hint={
            notAllowed.length > 0 ? (
              <>
                {notAllowed.map((k) => (
                  <span key={k.kind} class="block">
                    “{kKindWords[k.kind]}” is not available: {k.reason || 'the sharing policy does not allow it'}.
                  </span>
                ))}
              </>
            ) : undefined
          }
          onChange={(e) => {
            const k = e.currentTarget.value as LinkKind;
            setKind(k);
            setExpires(defaultDateOf(limitsOf(options, k)));
            setErrors({});
          }}
        >
          {options.kinds.map((k) => (
            <option key={k.kind} value={k.kind} disabled={!k.allowed}>
              {kKindWords[k.kind]}
              {k.allowed ? '' : ' (not allowed)'}
            </option>
          ))}
        </Select>

        {kind === 'specific' ? (
          <div class="people" ref={peopleInput}>
            <Field
              label="Add people"
              type="text"
              inputMode="email"
              autoComplete="off"
              autoCapitalize="off"
              spellcheck={false}
              placeholder="name@example.com"
              value={draft}
              error={errors.recipients || null}
              hint={
                draftCheck ? (
                  <span class={`chip-preview tone-${draftCheck.tone}`}>
                    {draft.trim()}: {draftCheck.text}
                  </span>
                ) : (
                  'Type an email address, then Enter or a comma. Add as many as you need.'
                )
              }
              onInput={(e) => {
                const v = e.currentTarget.value;
                if (/[,;\n]/.test(v)) {
                  const parts = v.split(/[,;\n]/);
                  const rest = parts.pop() ?? '';
                  addAddresses(parts.join(','));
                  setDraft(rest.trimStart());
                } else setDraft(v);
              }}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && draft.trim()) {
                  e.preventDefault();
                  addAddresses(draft);
                } else if (e.key === 'Backspace' && draft === '' && chips.length) {
                  setChips(chips.slice(0, -1));
                }
              }}
              onBlur={(e) => {
                // Leaving for "Share", "Cancel" or "Close": those take (or drop) the draft
                // themselves; a chip added now would move the button away from the pointer.
                const to = e.relatedTarget as HTMLElement | null;
                if (to instanceof HTMLButtonElement && !to.closest('.chips')) return;
                if (draft.trim()) addAddresses(draft);
              }}
            />
            {chips.length > 0 && (
              <ul class="chips" aria-label="People to share with" aria-live="polite">
                {chips.map((c) => {
                  const s = chipState(c);
                  return (
                    <li key={c.address} class={`chip chip-${s.tone}`} data-address={c.address}>
                      <span class="chip-address">{c.address}</span>
                      <span class="chip-note">{s.text}</span>
                      <button
                        type="button"
                        class="icon-button"
                        aria-label={`Remove ${c.address}`}
                        onClick={() => {
                          const rest = chips.filter((x) => x !== c);
                          setChips(rest);
                          // The refusal named on the field goes once no chip is refused any more.
                          if (!rest.some((x) => x.refusal || isRefused(checks[x.address.toLowerCase()]))) {
                            setErrors((e) => ({ ...e, recipients: '' }));
                          }
                          peopleInput.current?.querySelector('input')?.focus();
                        }}
                      >
                        Remove
                      </button>
                    </li>
                  );
                })}
              </ul>
            )}
          </div>
        ) : (
          <p class="hint kind-note">
            {kind === 'anyone' && 'Whoever has the link can open it, without proving who they are. Add a password and an expiry to limit it.'}
            {kind === 'organization' && 'Members of the organization can open it after signing in.'}
            {kind === 'existing' && 'A link for people who can already open it; it gives nobody new access.'}
          </p>
        )}

        <div class="share-grid">
          <Select
            label="Access"
            value={kind === 'existing' ? 'view' : role}
            disabled={kind === 'existing'}
            error={errors.role}
            onChange={(e) => setRole(e.currentTarget.value as LinkRole)}
          >
            {options.roles.map((r) => (
              <option key={r} value={r}>
                {kRoleWords[r]}
              </option>
            ))}
          </Select>
          {kind !== 'existing' && (
            <Field
              label="Expires on"
              type="date"
              value={expires}
              min={dateInputIn(0)}
              max={maxDate || undefined}
              required={!!maxDate}
              error={errors.expires_at}
              hint={
                maxDate
                  ? `At most until ${formatDate(`${maxDate}T12:00:00Z`)} (the organization's limit).`
                  : 'Leave empty for no expiry.'
              }
              onInput={(e) => setExpires(e.currentTarget.value)}
            />
          )}
        </div>
        {kind === 'anyone' && (
          <Field
            label="Link password"
            type="password"
            autoComplete="new-password"
            value={password}
            required={options.anyone_requires_password}
            minLength={options.min_password_length}
            error={errors.password}
            hint={
              options.anyone_requires_password
                ? `Required by the organization: at least ${options.min_password_length} characters. Tell it to people another way than the link.`
                : `Optional: at least ${options.min_password_length} characters. Tell it to people another way than the link.`
            }
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        )}
        {kind !== 'existing' && (
          <Checkbox
            label="Block download (view in the browser only)"
            checked={blockDownload}
            onChange={(e) => setBlockDownload(e.currentTarget.checked)}
          />
        )}
        <TextArea
          label="Message"
          value={message}
          maxLength={2000}
          error={errors.message}
          hint={kind === 'specific' ? 'Sent in the invitation email and shown on the link’s page.' : 'Shown on the link’s page.'}
          onInput={(e) => setMessage(e.currentTarget.value)}
        />
        <div class="row">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Sharing…' : 'Share'}
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
