import type { PerformContext } from '@switchyard/sdk-kit';
import { apiBase, authHeaders } from './contacts.js';
import { sendGridError } from './sendgrid-errors.js';
import type { SendGridSettings } from './settings.js';

export interface MailPayload {
  to_email: string;
  to_name?: string;
  dynamic_template_data?: Record<string, unknown>;
}

type Context = Pick<PerformContext<SendGridSettings, unknown>, 'http' | 'settings' | 'signal'>;

/** POST /v3/mail/send with a dynamic template; the message id travels in custom_args for tracing in SendGrid's activity. */
export async function sendTemplate(ctx: Context, templateId: string, payload: MailPayload, messageId: string): Promise<void> {
  const body = {
    from: { email: ctx.settings.fromEmail, ...(ctx.settings.fromName ? { name: ctx.settings.fromName } : {}) },
    template_id: templateId,
    personalizations: [
      {
        to: [{ email: payload.to_email, ...(payload.to_name ? { name: payload.to_name } : {}) }],
        dynamic_template_data: payload.dynamic_template_data ?? {},
      },
    ],
    custom_args: { switchyard_message_id: messageId },
  };
  try {
    await ctx.http.post(`${apiBase(ctx.settings)}/mail/send`, { json: body, headers: authHeaders(ctx.settings), signal: ctx.signal });
  } catch (error) {
    throw sendGridError(error, 'mail send');
  }
}
