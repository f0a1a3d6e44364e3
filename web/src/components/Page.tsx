// The frame of every page: a skip link, the header (product name, what the page is about, the
// account on the right) and the main region. Sets the document title.
import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { Toasts } from './Toasts';

export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Vestibule` : 'Vestibule';
  }, [title]);
}

export function Page({
  title,
  nav,
  account,
  children,
  narrow,
}: {
  title: string;
  nav?: ComponentChildren;
  account?: ComponentChildren;
  children: ComponentChildren;
  narrow?: boolean;
}) {
  useTitle(title);
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/">
          <span class="brand-mark" aria-hidden="true" />
          Vestibule
        </a>
        {nav && <nav class="top-nav" aria-label="Main">{nav}</nav>}
        {account && <div class="top-account">{account}</div>}
      </header>
      <main id="main" class={narrow ? 'main narrow' : 'main'} tabIndex={-1}>
        {children}
      </main>
      <Toasts />
    </>
  );
}
