// Security keys in a real browser: Chromium's virtual authenticator (DevTools' WebAuthn domain)
// stands in for the key, on an instance reached as https://localhost (an IP address is never an
// RP ID). What it shows: a key added on the console's page and signing in; an assertion replayed
// refused; a copy of the key (its private key, with its counter behind) caught, the key locked and
// no longer offered, the original refused with it, and the authenticator app still working; an
// organisation set to security keys only, whose people's codes are refused while keys sign in; and
// an assertion made at another origin of the same host (the admin listener: the same RP ID, so the
// browser signs) refused by the public one.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { Instance, accessible, launchBrowser, openPage, password } from './instance.mjs'

const inst = new Instance()
let browser

before(async () => {
  await inst.start({ listen: 'localhost:0', adminListen: 'localhost:0' })
  assert.match(inst.origin, /^https:\/\/localhost:\d+$/)
  assert.match(inst.adminOrigin, /^https:\/\/localhost:\d+$/)
  assert.notEqual(inst.adminOrigin, inst.origin)
  browser = await launchBrowser()
})

after(async () => {
  try {
    await browser?.close()
  } finally {
    await inst.stop()
  }
})

// A page with a virtual security key of its own (CTAP2 over USB, presence and verification given
// without a person), and a count of the assertions it made: the test shows it looked.
async function withKey (origin = inst.origin) {
  const opened = await openPage(browser, origin)
  const cdp = await opened.context.newCDPSession(opened.page)
  await cdp.send('WebAuthn.enable', { enableUI: false })
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      ctap2Version: 'ctap2_1',
      transport: 'usb',
      hasResidentKey: false,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true
    }
  })
  const key = { cdp, authenticatorId, asserted: 0 }
  cdp.on('WebAuthn.credentialAsserted', () => { key.asserted++ })
  return { ...opened, key }
}

async function password1 (page, user) {
  await page.goto('/sign-in')
  await page.getByLabel('Username').fill(user)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Continue' }).click()
}

// With the code from the app, or `code` (a recovery code).
async function signInWithCode (page, user, code = inst.totp(user)) {
  await password1(page, user)
  await page.getByLabel('Security code').fill(code)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(inst.people[user].officer ? /\/admin\/join-requests$/ : /\/records$/)
}

async function signOut (page) {
  await page.getByRole('button', { name: /^Sign out/ }).click()
  await page.waitForURL(/\/sign-in$/)
}

test('a key added on the console signs in; a replay and a copy of it are refused', async () => {
  const user = Object.keys(inst.people).find(u => !inst.people[u].officer)
  assert.ok(user, 'seed-demo made a standard account')
  await inst.enrol(user)
  await inst.advanceClock(30)
  const { context, page, problems, key } = await withKey()

  // Signed in with a code, the person adds a key on their security keys page.
  await signInWithCode(page, user)
  await page.getByRole('link', { name: 'Security keys' }).click()
  await page.waitForURL(/\/account\/security-keys$/)
  await accessible(page, 'account-security-keys')
  await page.getByLabel('Name').fill('Desk key')
  await page.getByRole('button', { name: 'Add a security key' }).click()
  await page.waitForURL(/\/account\/security-keys$/)
  await page.getByRole('cell', { name: 'Desk key', exact: true }).waitFor()
  await page.getByRole('link', { name: 'Remove Desk key' }).click()
  await page.waitForURL(/\/account\/security-keys\/key-[0-9a-f]{16}\/remove$/)
  await accessible(page, 'account-security-key-remove')
  await page.getByRole('link', { name: 'Cancel' }).click()
  await page.waitForURL(/\/account\/security-keys$/)
  const { credentials } = await key.cdp.send('WebAuthn.getCredentials', { authenticatorId: key.authenticatorId })
  assert.equal(credentials.length, 1, 'the authenticator made one credential')
  assert.equal(credentials[0].rpId, 'localhost')

  // Signing in with it: the password, then the key; the browser's answer is kept for a replay.
  await signOut(page)
  await password1(page, user)
  await accessible(page, 'sign-in-security-key')
  let posted = null
  page.on('request', r => { if (r.url().endsWith('/sign-in/webauthn')) posted = r.postData() })
  await page.getByRole('button', { name: 'Use your security key' }).click()
  await page.waitForURL(/\/records$/)
  assert.equal(key.asserted, 1, 'the key was asked once')
  assert.ok(posted?.includes('credential='), 'the form carried the key\'s answer')

  // The same answer again: its ceremony is spent, so no session.
  const replayed = await context.request.post('/sign-in/webauthn', {
    data: posted,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: inst.origin },
    maxRedirects: 0
  })
  assert.notEqual(replayed.status(), 303, 'a replay does not sign in')
  assert.ok(!replayed.headers()['set-cookie'], 'and sets no cookie')

  // A copy of the key: its private key, with the counter as it was before the last sign-in.
  await signOut(page)
  const original = (await key.cdp.send('WebAuthn.getCredentials', { authenticatorId: key.authenticatorId })).credentials[0]
  assert.ok(original.signCount >= 1, `the key counted its use (${original.signCount})`)
  const thief = await withKey()
  await thief.key.cdp.send('WebAuthn.addCredential', {
    authenticatorId: thief.key.authenticatorId,
    credential: {
      credentialId: original.credentialId,
      isResidentCredential: false,
      rpId: 'localhost',
      privateKey: original.privateKey,
      signCount: 0
    }
  })
  await password1(thief.page, user)
  await thief.page.getByRole('button', { name: 'Use your security key' }).click()
  await thief.page.getByText('Your security key was not accepted').first().waitFor()
  assert.equal(thief.key.asserted, 1, 'the copy was asked, and signed')
  assert.ok(!thief.page.url().endsWith('/records'))

  // The key is locked for both: no longer offered; the authenticator app still signs in, and the
  // page shows the key locked.
  await inst.advanceClock(30)
  await password1(page, user)
  assert.equal(await page.getByRole('button', { name: 'Use your security key' }).count(), 0)
  await page.getByLabel('Security code').fill(inst.totp(user))
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(/\/records$/)
  await page.goto('/account/security-keys')
  await page.getByText('Locked: it may have been copied').waitFor()

  assert.deepEqual(problems, [])
  assert.deepEqual(thief.problems, [])
  await thief.context.close()
  await context.close()
})

test('an organisation that requires security keys refuses codes, and its people sign in with keys', async () => {
  const standard = Object.keys(inst.people).filter(u => !inst.people[u].officer)
  const user = standard[1]
  assert.ok(user, 'seed-demo made two standard accounts')
  const officer = 'demo.officer.one'
  await inst.enrol(user)
  await inst.enrol(officer)
  await inst.advanceClock(30)
  const { context, page, problems, key } = await withKey()
  await signInWithCode(page, user)
  await page.goto('/account/security-keys')
  await page.getByLabel('Name').fill('Keyring')
  await page.getByRole('button', { name: 'Add a security key' }).click()
  await page.getByRole('cell', { name: 'Keyring', exact: true }).waitFor()
  await signOut(page)

  // An officer sets the organisation (the seeded one) to security keys only, on its page.
  const desk = await openPage(browser, inst.adminOrigin)
  await password1(desk.page, officer)
  await desk.page.getByLabel('Security code').fill(inst.totp(officer))
  await desk.page.getByRole('button', { name: 'Sign in' }).click()
  await desk.page.waitForURL(/\/admin\/join-requests$/)
  await desk.page.goto('/admin/orgs')
  await desk.page.getByRole('link', { name: 'Demo Supplier A' }).click()
  await desk.page.getByRole('link', { name: 'Change second factors' }).click()
  await accessible(desk.page, 'admin-org-second-factor')
  await desk.page.getByRole('group', { name: 'Its standard accounts sign in with' })
    .getByLabel('A security key only').check()
  await desk.page.getByRole('button', { name: 'Save' }).click()
  await desk.page.getByText('Standard accounts: a security key only.').waitFor()
  assert.deepEqual(desk.problems, [])
  await desk.context.close()

  // The code page says so, and a code from the app is refused; the key signs in.
  await inst.advanceClock(30)
  await password1(page, user)
  await page.getByText('Your organisation asks you to sign in with a security key').waitFor()
  await page.getByLabel('Security code').fill(inst.totp(user))
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByText('This account signs in with a security key').first().waitFor()
  assert.ok(!page.url().endsWith('/records'))
  await page.getByRole('button', { name: 'Use your security key' }).click()
  await page.waitForURL(/\/records$/)
  assert.equal(key.asserted, 1)
  assert.deepEqual(problems, [])
  await context.close()
})

// What the key is asked on `page`, at whatever origin it is open, for the ceremony `options` (as
// the login answer carries them), as the API takes it.
function askKey (page, options) {
  return page.evaluate(async options => {
    const bytes = text => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/') +
      '='.repeat((4 - text.length % 4) % 4)), c => c.charCodeAt(0))
    const text = buffer => btoa(String.fromCharCode(...new Uint8Array(buffer)))
      .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
    const credential = await navigator.credentials.get({
      publicKey: {
        ...options,
        challenge: bytes(options.challenge),
        allowCredentials: options.allowCredentials.map(d => ({ ...d, id: bytes(d.id) }))
      }
    })
    const r = credential.response
    return {
      id: text(credential.rawId),
      client_data_json: text(r.clientDataJSON),
      authenticator_data: text(r.authenticatorData),
      signature: text(r.signature)
    }
  }, options)
}

test('an assertion made at another origin of the same host is refused', async () => {
  const standard = Object.keys(inst.people).filter(u => !inst.people[u].officer)
  const user = standard[2]
  assert.ok(user, 'seed-demo made three standard accounts')
  await inst.enrol(user)
  await inst.advanceClock(30)
  const { context, page, problems, key } = await withKey()
  // (Its organisation takes keys only by now, above: a recovery code, then a key.)
  await signInWithCode(page, user, inst.people[user].recovery[0])
  await page.goto('/account/security-keys')
  await page.getByLabel('Name').fill('Travel key')
  await page.getByRole('button', { name: 'Add a security key' }).click()
  await page.getByRole('cell', { name: 'Travel key', exact: true }).waitFor()
  await signOut(page)
  const login = async () => {
    const r = await inst.call('POST', '/api/v1/auth/login', { username: user, password })
    assert.equal(r.status, 200, r.text)
    const answer = JSON.parse(r.text)
    assert.ok(answer.webauthn?.public_key, r.text)
    return answer
  }
  const complete = (challenge, credential) =>
    inst.call('POST', '/api/v1/auth/mfa/webauthn', { challenge, credential })

  // On a page of the admin listener: the browser asks the key (its RP ID is the same), and what it
  // signs names the page's origin; the public listener refuses it.
  await page.goto(new URL('/sign-in', inst.adminOrigin).href)
  const first = await login()
  const elsewhere = await askKey(page, first.webauthn.public_key)
  assert.equal(key.asserted, 1, 'the key was asked, and signed')
  const signed = JSON.parse(Buffer.from(elsewhere.client_data_json, 'base64url').toString())
  assert.equal(signed.origin, inst.adminOrigin)
  const refused = await complete(first.challenge, elsewhere)
  assert.equal(refused.status, 401, refused.text)
  assert.ok(!refused.headers['set-cookie'], 'no session')

  // The control: the same key asked on a page of the public listener signs in.
  await inst.advanceClock(60)
  await page.goto('/sign-in')
  const second = await login()
  const here = await askKey(page, second.webauthn.public_key)
  assert.equal(key.asserted, 2)
  const accepted = await complete(second.challenge, here)
  assert.equal(accepted.status, 200, accepted.text)
  assert.deepEqual(problems, [])
  await context.close()
})

test('a security key proves a fresh second factor on a console form', async () => {
  const officer = 'demo.officer.two'
  await inst.enrol(officer)
  await inst.advanceClock(30)
  const { context, page, problems, key } = await withKey(inst.adminOrigin)
  await signInWithCode(page, officer)
  await page.goto('/account/security-keys')
  await page.getByLabel('Name').fill('Officer key')
  await page.getByRole('button', { name: 'Add a security key' }).click()
  await page.getByRole('cell', { name: 'Officer key', exact: true }).waitFor()

  // Past the five minutes in which signing in counts as fresh (using the session on the way: a
  // privileged one idles out sooner), a form that needs a fresh factor offers the key.
  await inst.advanceClock(4 * 60)
  await page.goto('/admin/orgs')
  await inst.advanceClock(2 * 60)
  await page.goto('/admin/orgs')
  await page.getByRole('link', { name: 'Demo Supplier A' }).click()
  await page.getByRole('link', { name: 'Change second factors' }).click()
  await page.getByRole('button', { name: 'Confirm with your security key' }).waitFor()
  await accessible(page, 'admin-org-second-factor-key')
  await page.getByRole('group', { name: 'Its privileged accounts sign in with' })
    .getByLabel('A security key only').check()
  await page.getByRole('button', { name: 'Confirm with your security key' }).click()
  await page.getByText('Privileged accounts: a security key only.').waitFor()
  assert.equal(key.asserted, 1, 'the key was asked once')
  assert.deepEqual(problems, [])
  await context.close()
})
