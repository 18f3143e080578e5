/**
 * Texts of the payment view, bundled into the script (no extra fetch).
 * Add a language by adding an entry to TEXTS; `resolveLanguage` picks it up.
 */
export interface Texts {
  /** Heading and accessible name of the view. */
  title: string;
  /** Desktop: under the QR code. */
  scanHint: string;
  /** Text alternative of the QR code. */
  qrLabel: string;
  /** Mobile: under the pay link. */
  tapHint: string;
  /** Mobile: the link that opens the SEQR app. */
  payLink: string;
  unsupportedTitle: string;
  unsupportedText: string;
  /** The status API answered 404 (unknown invoice or wrong token). */
  notFound: string;
  /** The script tag lacks an invoiceReference. */
  misconfigured: string;
  /** Announced and shown per invoice status (and LOADING before the first answer); unknown statuses show nothing. */
  status: Record<string, string>;
}

const en: Texts = {
  title: 'Pay with SEQR',
  scanHint: 'Scan the QR code with the SEQR app to pay.',
  qrLabel: 'QR code for paying with the SEQR app',
  tapHint: 'Tap the button to pay in the SEQR app.',
  payLink: 'Pay with SEQR',
  unsupportedTitle: 'SEQR does not support this phone',
  unsupportedText: 'SEQR is available for iPhone and Android. You can also open this page on a computer and scan the QR code with your phone.',
  notFound: 'This payment could not be found.',
  misconfigured: 'The payment cannot be shown.',
  status: {
    LOADING: 'Loading payment status…',
    ISSUED: 'Waiting for payment',
    RESERVED: 'Payment reserved, waiting for confirmation',
    PENDING_ISSUER_ACKNOWLEDGE: 'Confirming the payment…',
    PAID: 'Payment complete. Thank you!',
    CANCELED: 'The payment was canceled',
    FAILED: 'The payment failed',
    EXPIRED: 'The payment has expired',
  },
};

const sv: Texts = {
  title: 'Betala med SEQR',
  scanHint: 'Skanna QR-koden med SEQR-appen för att betala.',
  qrLabel: 'QR-kod för att betala med SEQR-appen',
  tapHint: 'Tryck på knappen för att betala i SEQR-appen.',
  payLink: 'Betala med SEQR',
  unsupportedTitle: 'SEQR stöder inte den här telefonen',
  unsupportedText: 'SEQR finns för iPhone och Android. Du kan också öppna sidan på en dator och skanna QR-koden med telefonen.',
  notFound: 'Betalningen kunde inte hittas.',
  misconfigured: 'Betalningen kan inte visas.',
  status: {
    LOADING: 'Hämtar betalningsstatus…',
    ISSUED: 'Väntar på betalning',
    RESERVED: 'Betalningen är reserverad och väntar på bekräftelse',
    PENDING_ISSUER_ACKNOWLEDGE: 'Betalningen bekräftas…',
    PAID: 'Betalningen är klar. Tack!',
    CANCELED: 'Betalningen avbröts',
    FAILED: 'Betalningen misslyckades',
    EXPIRED: 'Betalningen har gått ut',
  },
};

export const TEXTS = { en, sv } as const satisfies Record<string, Texts>;

export type Language = keyof typeof TEXTS;

export const DEFAULT_LANGUAGE: Language = 'en';

export function isLanguage(value: string): value is Language {
  return Object.prototype.hasOwnProperty.call(TEXTS, value);
}
