import nodemailer from 'nodemailer';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Sends Flowline's mail (invitations, password resets); `enabled` is false when SMTP is not configured. */
export interface Mailer {
  readonly enabled: boolean;
  send(message: MailMessage): Promise<void>;
}

/** Mail is off: links are only returned to the admin or printed by the CLI. */
export const NO_MAIL: Mailer = Object.freeze({
  enabled: false,
  send: async () => undefined,
});

/** SMTP through nodemailer, e.g. `smtp://user:pass@mail.example.com:587` or `smtps://…`. */
export function smtpMailer(options: { smtpUrl: string; from: string }): Mailer & { close(): void } {
  const transport = nodemailer.createTransport(options.smtpUrl);
  return {
    enabled: true,
    async send(message) {
      await transport.sendMail({ from: options.from, to: message.to, subject: message.subject, text: message.text });
    },
    close: () => transport.close(),
  };
}

export function mailerFor(config: { smtpUrl?: string | undefined; mailFrom: string }): Mailer & { close?(): void } {
  return config.smtpUrl ? smtpMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom }) : NO_MAIL;
}
