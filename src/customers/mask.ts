import type { Customer } from '../schema/customer.entity.js';

/** `jean.dupont@example.com` -> `j•••@example.com`: the domain stays useful for analysis. */
export function maskEmail(email: string | null): string | null {
  if (!email) return email;
  const at = email.lastIndexOf('@');
  return at > 0 ? `${email[0]}•••${email.slice(at)}` : '•••';
}

/** `+33612345678` -> `+33•••••••78`: country code and last two digits only. */
export function maskPhone(phone: string | null): string | null {
  if (!phone) return phone;
  return phone.length > 5 ? `${phone.slice(0, 3)}${'•'.repeat(phone.length - 5)}${phone.slice(-2)}` : '•••';
}

/** A copy of the customer with contact fields masked (for roles that must not see them). */
export function maskContactFields(c: Customer): Customer {
  return { ...c, email: maskEmail(c.email), phone: maskPhone(c.phone), streetAddress: c.streetAddress ? '•••' : c.streetAddress };
}
