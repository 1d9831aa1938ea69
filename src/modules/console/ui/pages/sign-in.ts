import { signIn } from '../api';
import { ErrorMessage, formValues, html, useAction } from '../components';

export function SignInPage() {
  const action = useAction();
  const submit = (event: Event) => {
    const { email, password } = formValues(event);
    void action.run(() => signIn(email, password));
  };
  return html`<h1 tabindex="-1">Sign in</h1>
    <form class="card narrow" onSubmit=${submit}>
      <label for="email">Email</label>
      <input id="email" name="email" type="email" autocomplete="username" required />
      <label for="password">Password</label>
      <input
        id="password"
        name="password"
        type="password"
        autocomplete="current-password"
        required
      />
      <${ErrorMessage} error=${action.error} />
      <button type="submit" disabled=${action.busy}>Sign in</button>
    </form>`;
}
