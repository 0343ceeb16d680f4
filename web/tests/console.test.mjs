// The console in a real browser: Debian's chromium, driven by playwright-core, against the real
// binary (a test build, whose clock the test can move: TOTP codes are single use per 30-second
// step). Run by `make test-console` (scripts/test-console); STRONGROOM_BIN names the binary.
//
// What it shows: a newcomer's enrolment (the key read off the page) and sign-in, a record made,
// viewed and listed through the pages; hostile content rendered as text with no script run; a
// form refused without its CSRF token; a reader sees no edit controls; sign-in and the records
// list by keyboard alone; and axe-core finds no serious or critical WCAG 2.2 AA violation on any
// page. Screenshots of the main pages go to SCREENSHOTS (docs/console.md shows them).

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { Instance, accessible, launchBrowser, openPage as openIn, password } from './instance.mjs'

const inst = new Instance()
const people = inst.people
let browser

before(async () => {
  await inst.start()
  browser = await launchBrowser()
})

after(async () => {
  try {
    await browser?.close()
  } finally {
    await inst.stop()
  }
})

// Signs `user` in through the pages: password, then code.
async function signIn (page, user) {
  await page.goto('/sign-in')
  await page.getByLabel('Username').fill(user)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Continue' }).click()
  await page.getByLabel('Security code').fill(inst.totp(user))
  await page.getByRole('button', { name: 'Sign in' }).click()
}

const standard = () => Object.keys(people).filter(u => !people[u].officer)
function editor () { return standard().find(u => people[u].roles.includes('editor')) }
function reader () { return standard().find(u => !people[u].roles.includes('editor')) }

function openPage () { return openIn(browser, inst.origin) }

// An officer signed in on a page of their own, on the next code's step; at the join requests.
async function officerPage (officer) {
  await inst.advanceClock(30)
  const opened = await openPage()
  await signInAsOfficer(opened.page, officer)
  return opened
}

async function signInAsOfficer (page, officer) {
  await signIn(page, officer)
  await page.waitForURL(/\/admin\/join-requests$/)
}

// Asks for an account in Demo Supplier A on the join form, its BPSS check dated 15 January 2026.
async function askForAccount (page, { username, name, email, kind, role, remits }) {
  await page.getByLabel('Organisation').selectOption({ label: 'Demo Supplier A' })
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Full name').fill(name)
  await page.getByLabel('Email address').fill(email)
  await page.getByLabel(kind, { exact: true }).check()
  await page.getByLabel(role, { exact: true }).check()
  if (remits) await page.getByLabel('Remits').fill(remits)
  await fillDate(page, new Date(Date.UTC(2026, 0, 15)))
  await page.getByLabel('Who checked their BPSS clearance').fill('HR vetting team')
  await page.getByRole('button', { name: 'Ask for the account' }).click()
  await page.waitForURL(/\/admin\/join-requests$/)
}

// The day `days` ahead on the service's (moved) clock.
function daysAhead (days) {
  return new Date((Math.floor(Date.now() / 1000) + inst.offsetSeconds + days * 86400) * 1000)
}

// A GOV.UK date input: the one on the page, or the one whose fields are `name`_day, _month, _year.
async function fillDate (page, date, name) {
  const field = part => name ? page.locator(`#${name}_${part.toLowerCase()}`) : page.getByLabel(part)
  await field('Day').fill(String(date.getUTCDate()))
  await field('Month').fill(String(date.getUTCMonth() + 1))
  await field('Year').fill(String(date.getUTCFullYear()))
}

test('a newcomer enrols, signs in, makes a record with hostile content, and sees it as text', async () => {
  const user = editor()
  assert.ok(user, 'seed-demo made an editor')
  const { context, page, problems } = await openPage()

  // Enrolment: the token, a password, then the secret read off the page as a person who cannot
  // scan the QR code would, and the first code.
  await page.goto('/enrol')
  await accessible(page, 'enrol')
  await page.getByLabel('Enrolment token').fill(people[user].token)
  await page.getByLabel('Choose a password').fill(password)
  await page.getByLabel('Type the password again').fill(password)
  await page.getByRole('button', { name: 'Continue' }).click()
  assert.equal(await page.locator('svg.app-qr path').count(), 1, 'the QR code is drawn')
  await page.getByText('I cannot scan the QR code').click()
  await accessible(page, 'enrol-code')
  people[user].secret = (await page.locator('#secret').textContent()).replace(/\s/g, '')
  assert.match(people[user].secret, /^[A-Z2-7]{32}$/)
  await page.getByLabel('Enter the 6-digit code your app shows').fill(inst.totp(user))
  await page.getByRole('button', { name: 'Confirm' }).click()
  assert.equal(await page.locator('#recovery-codes li').count(), 10)
  await accessible(page, 'enrol-done')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(/\/sign-in$/)
  await inst.advanceClock(30)  // the code just used is spent for this step

  await page.goto('/')
  assert.match(page.url(), /\/sign-in$/)
  await accessible(page, 'sign-in')
  await page.getByLabel('Username').fill(user)
  await page.getByLabel('Password').fill('not the password')
  await page.getByRole('button', { name: 'Continue' }).click()
  assert.ok(await page.locator('.govuk-error-summary').isVisible(), await page.content())
  await accessible(page, 'sign-in-error')

  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Continue' }).click()
  await accessible(page, 'sign-in-code')
  await page.getByLabel('Security code').fill(inst.totp(user))
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(/\/records$/)
  await accessible(page, 'records')

  await page.getByRole('button', { name: 'Create a record' }).click()
  await accessible(page, 'record-new')
  const title = '<img src=x onerror=alert(1)>'
  await page.getByLabel('Title').fill(title)
  await page.getByLabel('Content').fill('</script><script>alert(2)</script>\nsecond line')
  await page.getByRole('button', { name: 'Create record' }).click()
  await page.waitForURL(/\/records\/[^/]+$/)
  assert.equal(await page.locator('h1').textContent(), title)
  assert.equal(await page.locator('img').count(), 0)
  await accessible(page, 'record')

  // Changed at the version it was opened at; the view shows the next.
  await page.getByRole('button', { name: 'Change this record' }).click()
  await page.waitForURL(/\/edit$/)
  await accessible(page, 'record-edit')
  await page.getByLabel('Title').fill('')
  await page.getByRole('button', { name: 'Save changes' }).click()
  assert.ok(await page.locator('.govuk-error-summary').isVisible(), 'a title is needed')
  await accessible(page, 'record-edit-error')
  const changed = `${title} (changed)`
  await page.getByLabel('Title').fill(changed)
  await page.getByRole('button', { name: 'Save changes' }).click()
  await page.waitForURL(/\/records\/[^/]+$/)
  assert.equal(await page.locator('h1').textContent(), changed)
  assert.match(await page.locator('.govuk-summary-list').textContent(), /Version\s*2/)
  await page.getByRole('button', { name: 'Delete this record' }).click()
  await page.waitForURL(/\/delete$/)
  await accessible(page, 'record-delete')
  await page.getByRole('link', { name: 'Cancel' }).click()
  await page.waitForURL(/\/records\/[^/]+$/)

  await page.goto('/records')
  assert.equal(await page.getByRole('link', { name: changed }).count(), 1)

  // An export asked for: without a reason first, then with one; it waits for another person.
  await page.getByRole('link', { name: 'Exports' }).click()
  await page.waitForURL(/\/exports$/)
  await accessible(page, 'exports')
  await page.getByRole('button', { name: 'Ask for the export' }).click()
  assert.ok(await page.locator('#reason-error').isVisible(), 'a reason is needed')
  await accessible(page, 'exports-error')
  await page.getByLabel('Why you need it').fill('Quarterly case review')
  await page.getByRole('button', { name: 'Ask for the export' }).click()
  await page.waitForURL(/\/exports$/)
  assert.equal(await page.getByText('Waiting for approval').count(), 1)
  await accessible(page, 'exports-asked')

  // A form posted without its CSRF token, from this very browser with its session: refused.
  const forged = await context.request.post('/records', {
    form: { remit: 'x', title: 'forged', classification: 'OFFICIAL', text: '' },
    maxRedirects: 0
  })
  assert.equal(forged.status(), 403)

  await page.getByRole('button', { name: /Sign out/ }).click()
  await page.waitForURL(/\/sign-in$/)
  await page.goto('/records')
  assert.match(page.url(), /\/sign-in$/, 'the session is over')
  assert.deepEqual(problems, [])
  await context.close()
})

test('a reader signs in by keyboard alone and sees records without edit controls', async () => {
  const user = reader()
  assert.ok(user, 'seed-demo made a reader')
  await inst.enrol(user)
  await inst.advanceClock(30)
  const { context, page, problems } = await openPage()
  await page.goto('/sign-in')
  const focusOn = async (id) => {
    for (let i = 0; i < 15; i++) {
      await page.keyboard.press('Tab')
      if (await page.evaluate(() => document.activeElement?.id) === id) return
    }
    assert.fail(`Tab never reached #${id}`)
  }
  await focusOn('username')
  await page.keyboard.type(user)
  await focusOn('password')
  await page.keyboard.type(password)
  await page.keyboard.press('Enter')
  await page.getByLabel('Security code').waitFor()
  await focusOn('code')
  await page.keyboard.type(inst.totp(user))
  await page.keyboard.press('Enter')
  await page.waitForURL(/\/records$/)
  assert.equal(await page.getByText('Create a record').count(), 0)
  const links = page.locator('table a.govuk-link')
  assert.ok(await links.count() > 0, 'the reader sees the remit\'s records')
  const first = await links.first().textContent()
  // To the first record by keyboard.
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab')
    if (await page.evaluate(() => document.activeElement?.closest('table') !== null)) break
  }
  await page.keyboard.press('Enter')
  await page.waitForURL(/\/records\/[^/]+$/)
  assert.equal(await page.locator('h1').textContent(), first)
  assert.equal(await page.getByRole('button', { name: /Change|Delete/ }).count(), 0)
  await accessible(page, 'record-reader')
  assert.deepEqual(problems, [])
  // The error pages: what a reader may not do, and what is not there; nothing of either named.
  const refused = await page.goto('/records/new')
  assert.equal(refused.status(), 403)
  assert.doesNotMatch(await page.locator('main').innerText(), /Exception|std::|\.cc\b/)
  await accessible(page, 'error-403')
  const absent = await page.goto('/records/r-0000000000000000')
  assert.equal(absent.status(), 404)
  assert.doesNotMatch(await page.locator('main').innerText(), /r-0000000000000000/)
  await accessible(page, 'error-404')
  await context.close()
})

test('an officer asks for an account and another approves it with a fresh code', async () => {
  for (const officer of ['demo.officer.one', 'demo.officer.two']) await inst.enrol(officer)
  const { context, page, problems } = await officerPage('demo.officer.one')
  await accessible(page, 'admin-join-requests')
  await page.getByRole('button', { name: 'Ask for an account' }).click()
  await accessible(page, 'admin-join-new')
  await page.getByRole('button', { name: 'Ask for the account' }).click()
  assert.ok(await page.locator('.govuk-error-summary').isVisible(), 'an empty form is refused')
  await accessible(page, 'admin-join-new-error')
  await askForAccount(page, { username: 'nia.newcomer', name: 'Nia Newcomer', email: 'nia@example.org', kind: 'standard', role: 'editor', remits: 'north' })
  assert.equal(await page.getByRole('cell', { name: 'nia.newcomer', exact: true }).count(), 1, await page.locator('main').innerText())
  await page.getByRole('button', { name: /Sign out/ }).click()
  await page.waitForURL(/\/sign-in$/)

  await signInAsOfficer(page, 'demo.officer.two')
  // Past the five minutes in which signing in counts as fresh (using the session on the way).
  await inst.advanceClock(240)
  await page.getByRole('link', { name: 'Users' }).click()
  await accessible(page, 'admin-users')
  await inst.advanceClock(120)
  await page.getByRole('link', { name: 'Join requests' }).click()
  await page.getByRole('link', { name: 'Approve nia.newcomer' }).click()
  await accessible(page, 'admin-join-approve')
  await page.getByLabel('Security code').fill('000000')
  await page.getByRole('button', { name: 'Approve' }).click()
  assert.ok(await page.locator('#code-error').isVisible(), 'a wrong code is refused')
  await inst.advanceClock(30)
  await page.getByLabel('Security code').fill(inst.totp('demo.officer.two'))
  await page.getByRole('button', { name: 'Approve' }).click()
  await page.getByText('Account approved').waitFor()
  // (Tested, not matched: a failed match would print the token.)
  assert.ok(/^[0-9a-f]{64}$/.test(await page.locator('#enrolment-token').textContent()), 'a token')
  await accessible(page, 'admin-join-approved')
  assert.deepEqual(problems, [])
  await context.close()
})

test('an officer applies a leavers list by upload, checked first, and the leaver is signed out', async () => {
  const leaver = reader()
  const them = await openPage()
  await signIn(them.page, leaver)
  await them.page.waitForURL(/\/records$/)

  const { context, page, problems } = await officerPage('demo.officer.one')
  await page.getByRole('link', { name: 'Leavers' }).click()
  await accessible(page, 'admin-leavers')
  await page.getByRole('button', { name: 'Check the list' }).click()
  assert.ok(await page.locator('#csv-error').isVisible(), 'no file is refused')
  await accessible(page, 'admin-leavers-error')
  await page.getByLabel('The leavers list').setInputFiles({
    name: 'leavers.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(`\ufeffusername,note\r\n${leaver},left on Friday\r\nno.such.person,typo\r\n`)
  })
  await page.getByRole('button', { name: 'Check the list' }).click()
  await page.getByText('1 person would lose their access').waitFor()
  assert.equal(await page.getByText('Will lose access').count(), 1)
  assert.equal(await page.getByText('No such account').count(), 1)
  await accessible(page, 'admin-leavers-check')
  // Checked, nothing done: the leaver still reads records.
  await them.page.reload()
  assert.match(them.page.url(), /\/records$/)

  await page.getByRole('button', { name: 'Remove access for 1 person' }).click()
  await page.getByText('1 person has lost their access').waitFor()
  assert.equal(await page.getByText('Access removed').count(), 1)
  await accessible(page, 'admin-leavers-done')
  // Their open session has ended: the next page asks them to sign in.
  await them.page.reload()
  assert.match(them.page.url(), /\/sign-in$/)
  assert.deepEqual(problems, [])
  assert.deepEqual(them.problems, [])
  await context.close()
  await them.context.close()
})

test('an officer moves an account to a new remit and renews it, each form checked by axe', async () => {
  const mover = editor()
  const { context, page, problems } = await officerPage('demo.officer.one')
  await page.getByRole('link', { name: 'Users' }).click()
  await page.getByRole('link', { name: mover, exact: true }).click()
  await accessible(page, 'admin-user')
  await page.getByRole('button', { name: 'Move to new roles or remits' }).click()
  await accessible(page, 'admin-user-move')
  await page.getByLabel('Remits').fill('no-such-remit')
  await page.getByRole('button', { name: 'Save the new assignment' }).click()
  assert.ok(await page.locator('#remits-error').isVisible(), 'a remit of no organisation is refused')
  await accessible(page, 'admin-user-move-error')
  await page.getByLabel('Remits').fill('')
  await page.getByLabel('reader', { exact: true }).check()
  await page.getByLabel('editor', { exact: true }).uncheck()
  await page.getByRole('button', { name: 'Save the new assignment' }).click()
  await page.waitForURL(/\/admin\/users\/[^/]+$/)
  assert.match(await page.locator('.govuk-summary-list').innerText(), /Roles\s+reader/)

  await page.getByRole('button', { name: 'Renew this account' }).click()
  await accessible(page, 'admin-user-renew')
  await page.getByLabel('Day').fill('31')
  await page.getByLabel('Month').fill('2')
  await page.getByLabel('Year').fill('2030')
  await page.getByRole('button', { name: 'Renew the account' }).click()
  assert.ok(await page.locator('#until-error').isVisible(), 'a day that is not one is refused')
  await accessible(page, 'admin-user-renew-error')
  // The audit log shows what was just done, and the refusals beside it.
  await page.getByRole('link', { name: 'Audit log' }).click()
  await page.getByLabel('What (an action)').fill('admin.user.move')
  await page.getByRole('button', { name: 'Search' }).click()
  assert.equal(await page.getByRole('cell', { name: 'admin.user.move' }).count(), 2, 'one allowed, one refused')
  await accessible(page, 'admin-audit')
  await page.getByRole('link', { name: 'Retention Orders' }).click()
  await accessible(page, 'admin-orders')
  await page.getByRole('button', { name: 'Make a Retention Order' }).click()
  await page.getByRole('button', { name: 'Make the order' }).click()
  assert.ok(await page.locator('.govuk-error-summary').isVisible(), 'an empty order is refused')
  await accessible(page, 'admin-order-new-error')
  // One made, and its lift form (a second officer lifts it; the form is the same for its maker).
  await page.getByLabel('Reference').fill('CASE-7')
  await page.getByLabel('Why the records are held').fill('Litigation hold')
  await fillDate(page, daysAhead(60))
  await page.getByRole('button', { name: 'Make the order' }).click()
  await page.waitForURL(/\/admin\/retention-orders$/)
  await page.getByRole('link', { name: 'Lift CASE-7' }).click()
  await accessible(page, 'admin-order-lift')
  assert.deepEqual(problems, [])
  await context.close()
})

test('an officer adds an organisation whose certificate lapses soon, and a remit, each page checked by axe', async () => {
  const { context, page, problems } = await officerPage('demo.officer.two')
  await page.getByRole('link', { name: 'Organisations' }).click()
  await page.getByRole('button', { name: 'Add an organisation' }).click()
  await page.getByLabel('Name').fill('Gamma Records Ltd')
  await page.getByRole('button', { name: 'Add the organisation' }).click()
  assert.ok(await page.locator('.govuk-error-summary').isVisible(), 'no certificates: refused')
  await accessible(page, 'admin-org-new-error')
  // An ISO 27001 certificate lapsing in ten days (the service's moved clock), and a later one.
  const cert = async (prefix, ref, date) => {
    await page.locator(`#${prefix}_ref`).fill(ref)
    await fillDate(page, date, `${prefix}_expires`)
  }
  await cert('iso', 'ISO-77', daysAhead(10))
  await cert('cep', 'CEP-77', new Date(Date.UTC(2099, 0, 1)))
  await page.getByRole('button', { name: 'Add the organisation' }).click()
  await page.waitForURL(/\/admin\/orgs\/org-[0-9a-f]+$/)
  assert.match(await page.locator('.govuk-summary-list').nth(1).innerText(), /ISO-77.*Lapses in 10 days/s)
  await page.getByLabel('Add a remit').fill('Not A Remit')
  await page.getByRole('button', { name: 'Add the remit' }).click()
  assert.ok(await page.locator('#remit-error').isVisible(), 'a remit name out of its alphabet is refused')
  await accessible(page, 'admin-org-remit-error')
  await page.getByLabel('Add a remit').fill('casework')
  await page.getByRole('button', { name: 'Add the remit' }).click()
  assert.equal(await page.getByRole('cell', { name: 'casework', exact: true }).count(), 1)
  await accessible(page, 'admin-org')
  await page.getByRole('button', { name: 'Record renewed certificates' }).click()
  await accessible(page, 'admin-org-certificates')
  await page.getByRole('link', { name: 'Organisations' }).click()
  await page.getByLabel('Certificates lapsing within (days)').fill('30')
  await page.getByRole('button', { name: 'Show organisations' }).click()
  assert.equal(await page.getByRole('link', { name: 'Gamma Records Ltd' }).count(), 1, 'the lapsing one is listed')
  assert.equal(await page.getByText('Lapses in 10 days').count(), 1)
  await accessible(page, 'admin-orgs')
  assert.deepEqual(problems, [])
  await context.close()
})

test('an officer asks for a service account, another approves it and issues its API token, each page checked by axe', async () => {
  const { context, page, problems } = await officerPage('demo.officer.one')
  await page.getByRole('button', { name: 'Ask for an account' }).click()
  await askForAccount(page, { username: 'sync.bot', name: 'HR sync', email: 'hr-sync@example.org', kind: 'service', role: 'provisioner' })
  await page.getByRole('button', { name: /Sign out/ }).click()
  await page.waitForURL(/\/sign-in$/)

  await inst.advanceClock(30)
  await signInAsOfficer(page, 'demo.officer.two')
  await page.getByRole('link', { name: 'Approve sync.bot' }).click()
  await page.getByRole('button', { name: 'Approve' }).click()
  await page.getByText('Account approved').waitFor()
  await page.getByRole('link', { name: 'Users' }).click()
  await page.getByRole('link', { name: 'sync.bot', exact: true }).click()
  assert.equal(await page.getByText('No API token has been issued to this account.').count(), 1)
  await page.getByRole('button', { name: 'Issue an API token' }).click()
  await page.getByLabel('Year').fill('1999')
  await page.getByRole('button', { name: 'Issue the token' }).click()
  assert.ok(await page.locator('#until-error').isVisible(), 'a day that is not one is refused')
  await accessible(page, 'admin-token-new-error')
  await fillDate(page, daysAhead(30))
  await page.getByRole('button', { name: 'Issue the token' }).click()
  await page.getByText('API token issued').waitFor()
  // (Tested, not matched: a failed match would print the token.)
  assert.ok(/^srt_[0-9a-f]{64}$/.test(await page.locator('#api-token').textContent()), 'a token')
  await accessible(page, 'admin-token-issued')
  await page.getByRole('link', { name: 'Back to sync.bot' }).click()
  assert.equal(await page.getByText('Active', { exact: true }).count(), 1)
  await accessible(page, 'admin-user-service')
  await page.getByRole('button', { name: /^Revoke/ }).click()
  await page.waitForURL(/\/admin\/users\/[^/]+$/)
  assert.equal(await page.getByText('Revoked', { exact: true }).count(), 1)
  assert.deepEqual(problems, [])
  await context.close()
})

test('the timeout warning offers to stay signed in, signs out when the time is up, and the moved clock ends a session', async () => {
  const person = editor()
  await inst.advanceClock(30)
  const { context, page, problems } = await openPage()
  await page.clock.install()
  await signIn(page, person)
  await page.waitForURL(/\/records$/)
  const warning = page.getByRole('dialog', { name: 'You are about to be signed out' })
  assert.equal(await warning.isVisible(), false)
  // A minute before the session would end for want of use, the warning opens (the browser's
  // clock and the service's moved alike).
  await inst.advanceClock(240)
  await page.clock.fastForward('04:01')
  await warning.waitFor()
  await accessible(page, 'timeout-warning')
  await page.getByRole('button', { name: 'Stay signed in' }).click()
  await warning.waitFor({ state: 'hidden' })
  // Staying was a use of the session: four minutes on (eight since the last page), it still
  // serves pages, and the warning has not come back.
  await inst.advanceClock(240)
  await page.clock.fastForward('03:00')
  assert.equal(await warning.isVisible(), false)
  await page.getByRole('link', { name: 'Records' }).click()
  await page.waitForURL(/\/records$/)
  // Left alone, it signs out when the time is up.
  await page.clock.fastForward('05:01')
  await page.waitForURL(/\/sign-in$/)

  // Without the script's help: the service's own clock moved past the idle timeout, the next
  // page asks to sign in again.
  await inst.advanceClock(30)
  await signIn(page, person)
  await page.waitForURL(/\/records$/)
  await inst.advanceClock(6 * 60)
  await page.reload()
  assert.match(page.url(), /\/sign-in$/)
  assert.deepEqual(problems, [])
  await context.close()
})

test('an officer asks for someone to enrol again, another approves it, and their session ends, each page checked by axe', async () => {
  const person = editor()
  await inst.advanceClock(30)
  const them = await openPage()
  await signIn(them.page, person)
  await them.page.waitForURL(/\/records$/)

  const { context, page, problems } = await officerPage('demo.officer.one')
  await page.getByRole('link', { name: 'Users' }).click()
  await page.getByRole('link', { name: person, exact: true }).click()
  await page.getByRole('button', { name: 'Ask for them to enrol again' }).click()
  await page.waitForURL(/\/reenrol$/)
  assert.match(await page.locator('.govuk-warning-text').innerText(), /lost their security keys/)
  await accessible(page, 'admin-user-reenrol')
  await page.getByRole('button', { name: 'Ask for a re-enrolment' }).click()
  await page.waitForURL(/\/admin\/(users\/[^/]+|join-requests)$/)
  await page.getByRole('link', { name: 'Join requests' }).click()
  const row = page.getByRole('row').filter({ hasText: person })
  assert.equal(await row.getByText('Enrol again', { exact: true }).count(), 1, await page.locator('main').innerText())
  await accessible(page, 'admin-join-requests-reenrol')
  // Asked, not approved: they still read records.
  await them.page.reload()
  assert.match(them.page.url(), /\/records$/)
  await page.getByRole('button', { name: /Sign out/ }).click()
  await page.waitForURL(/\/sign-in$/)

  await inst.advanceClock(30)
  await signInAsOfficer(page, 'demo.officer.two')
  await page.getByRole('link', { name: `Approve ${person}` }).click()
  await page.getByRole('heading', { name: 'Approve this re-enrolment' }).waitFor()
  assert.match(await page.locator('.govuk-warning-text').innerText(), new RegExp(`${person} is to enrol again`))
  await accessible(page, 'admin-join-approve-reenrol')
  await page.getByRole('button', { name: 'Approve' }).click()
  await page.getByText('Re-enrolment approved').waitFor()
  // (Tested, not matched: a failed match would print the token.)
  assert.ok(/^[0-9a-f]{64}$/.test(await page.locator('#enrolment-token').textContent()), 'a token')
  await accessible(page, 'admin-join-approved-reenrol')
  // Approved: their session has ended, and their password no longer signs them in.
  await them.page.reload()
  assert.match(them.page.url(), /\/sign-in$/)
  await them.page.getByLabel('Username').fill(person)
  await them.page.getByLabel('Password').fill(password)
  await them.page.getByRole('button', { name: 'Continue' }).click()
  await them.page.locator('#username-error').waitFor()
  assert.equal(await them.page.getByLabel('Security code').count(), 0, 'the old password is forgotten')
  assert.deepEqual(problems, [])
  assert.deepEqual(them.problems, [])
  await context.close()
  await them.context.close()
})
