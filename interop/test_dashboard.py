"""The dashboard in a real browser (Chromium driven by selenium): the seed walk-throughs — 000/001 (API Token
Management: a server token with a long-term JWT restricted to a user found by search), 003 (Generate Key, access
keys), 004 (register, approve, sign in with the new application) —, what each role sees, forged posts, axe-core on
every page at desktop width and at 360 px. Every page a test visits is saved as a screenshot under
$TESSERA_ARTIFACTS/dashboard (default: build-artifacts/dashboard)."""
import base64
import os
import re
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from conftest import ADMIN_PASSWORD, deki_error
from helpers import JSON_OUT, USERS, User, bearer, check, create_user, secret, show, unique

ARTIFACTS = os.path.join(os.environ.get("TESSERA_ARTIFACTS", os.path.join(os.path.dirname(__file__), "..", "build-artifacts")), "dashboard")


@pytest.fixture(scope="module")
def admin(server):
    return User(server, "admin", ADMIN_PASSWORD)


@pytest.fixture()
def driver(request):
    if not os.path.exists("/usr/bin/chromedriver") and not os.environ.get("TESSERA_TEST_REQUIRE_BROWSER"):
        pytest.skip("no /usr/bin/chromedriver (scripts/test installs chromium)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"]:
        opts.add_argument(arg)
    browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    browser.set_page_load_timeout(30)
    browser.shots = Shots(browser, request.node.name)
    yield browser
    browser.quit()


class Shots:
    """Saves a numbered screenshot of each page a test visits."""

    def __init__(self, browser, test):
        self.browser, self.directory, self.count = browser, os.path.join(ARTIFACTS, test), 0
        os.makedirs(self.directory, exist_ok=True)

    def __call__(self, name):
        self.count += 1
        self.browser.save_screenshot(os.path.join(self.directory, f"{self.count:02d}-{name}.png"))


def by_id(driver, element_id):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.ID, element_id)


def ids(driver, selector):
    from selenium.webdriver.common.by import By
    return [e.get_attribute("id") for e in driver.find_elements(By.CSS_SELECTOR, selector)]


def wait(driver, condition, timeout=10):
    """Until `condition` holds; an element read while the next page replaces it is read again.

    Chromium reports an element of the page being replaced either as stale or, when the read races the
    navigation, as an "unknown error" saying the node does not belong to the document: both mean "not yet".
    """
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def holds(d):
        try:
            return condition(d)
        except WebDriverException as error:
            if "does not belong to the document" in (error.msg or ""):
                return False
            raise
    return WebDriverWait(driver, timeout, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(holds)


def open_page(driver, server, path, shot):
    driver.get(server.url + path)
    driver.shots(shot)


def sign_in(driver, server, username, password, shot="signin"):
    """Through the front door, as a person would."""
    driver.delete_all_cookies()
    open_page(driver, server, "/", shot)
    assert driver.title.startswith("Sign in")
    by_id(driver, "username").send_keys(username)
    by_id(driver, "password").send_keys(password)
    by_id(driver, "submit").click()
    wait(driver, lambda d: d.title.startswith("Dashboard"))
    driver.shots("dashboard")


def axe_clean(driver, where):
    """axe-core finds nothing serious or critical on the page the browser shows."""
    from axe_selenium_python import Axe
    axe = Axe(driver)
    axe.inject()
    serious = [f"{v['id']}: {v['help']} (e.g. {v['nodes'][0]['html'][:120]})" for v in axe.run()["violations"]
               if v["impact"] in ("serious", "critical")]
    assert not serious, (where, serious)


def session_cookies(driver):
    return {c["name"]: c["value"] for c in driver.get_cookies()}


def current_user(server, token):
    return requests.get(server.url + USERS + "/current", params=JSON_OUT, headers=bearer(token), timeout=10)


# ---------------------------------------------------------------------------------------------------------------
# The front door and what each role sees


ADMIN_SECTIONS = ["nav-home", "nav-tokens", "nav-key", "nav-access-keys", "nav-applications", "nav-users", "nav-settings", "nav-audit"]


def test_front_door_signs_in_and_out_and_a_wrong_password_stays_on_the_form(server, driver):
    open_page(driver, server, "/", "front-door")
    assert by_id(driver, "signin")
    by_id(driver, "username").send_keys("admin")
    by_id(driver, "password").send_keys("not-the-password")
    by_id(driver, "submit").click()
    wait(driver, lambda d: d.find_elements("id", "error"))
    driver.shots("wrong-password")
    assert by_id(driver, "error").text == "The username or password is incorrect."
    sign_in(driver, server, "admin", ADMIN_PASSWORD)
    assert ids(driver, "header nav a") == ADMIN_SECTIONS
    assert by_id(driver, "who").text == "admin"
    by_id(driver, "signout").click()
    wait(driver, lambda d: d.title.startswith("Sign in"))
    driver.shots("signed-out")
    # The session is over for the server, not only the browser: the old cookie no longer opens a page.
    open_page(driver, server, "/dashboard/tokens", "after-signout")
    assert driver.title.startswith("Sign in") and urlsplit(driver.current_url).query == "next=%2Fdashboard%2Ftokens"


def test_signing_in_from_a_deep_link_returns_to_it_and_never_to_another_origin(server, driver):
    open_page(driver, server, "/dashboard/users", "deep-link")
    by_id(driver, "username").send_keys("admin")
    by_id(driver, "password").send_keys(ADMIN_PASSWORD)
    by_id(driver, "submit").click()
    wait(driver, lambda d: d.title.startswith("Users"))
    # A crafted next= cannot send the browser elsewhere after sign-in.
    session = requests.Session()
    for target in ["//evil.example/x", "https://evil.example/", "/dashboard/../@api/deki/users", "/\\evil.example"]:
        csrf = form_token(session, server.url + "/")  # sign-in replaces the CSRF cookie: a new token each time
        r = session.post(server.url + "/", data={"csrf": csrf, "username": "admin", "password": ADMIN_PASSWORD, "next": target},
                         allow_redirects=False, timeout=10)
        assert r.status_code == 303 and r.headers["Location"] == "/", (target, r.headers.get("Location"))


@pytest.mark.parametrize("role, sections", [
    ("Contributor", ["nav-home", "nav-key", "nav-access-keys", "nav-applications"]),
    ("Viewer", ["nav-home", "nav-applications"]),
])
def test_each_role_sees_only_what_it_may_use_and_is_refused_the_rest(server, admin, driver, role, sections):
    person = create_user(server, admin, role)
    sign_in(driver, server, person.username, person.password)
    assert ids(driver, "header nav a") == sections
    assert ids(driver, "#sections a") == ["card-" + s[4:] for s in sections[1:]]
    refused = ["/dashboard/tokens", "/dashboard/users", "/dashboard/settings", "/dashboard/audit", "/dashboard/applications/new"]
    if role == "Viewer":
        refused += ["/dashboard/key", "/dashboard/access-keys"]
    for path in refused:
        r = requests.get(server.url + path, cookies=session_cookies(driver), allow_redirects=False, timeout=10)
        assert r.status_code == 403 and "text/html" in r.headers["Content-Type"], (path, r.status_code)
        assert 'id="error"' in r.text
    open_page(driver, server, "/dashboard/tokens", "refused")
    assert "Token Administration permission required" in by_id(driver, "error").text
    # What the navigation offers opens.
    for section in sections:
        driver.get(server.url + ("/" if section == "nav-home" else by_id(driver, section).get_attribute("pathname")))
        assert not driver.find_elements("id", "error"), section


# ---------------------------------------------------------------------------------------------------------------
# Seeds 000/001: API Token Management


def test_seed_000_server_token_with_a_jwt_restricted_to_a_user_found_by_search(server, admin, driver):
    target = create_user(server, admin, "Contributor", fullname="Restricted Person")
    sign_in(driver, server, "admin", ADMIN_PASSWORD)
    by_id(driver, "nav-tokens").click()
    wait(driver, lambda d: d.title.startswith("API Token Management"))
    driver.shots("tokens")
    by_id(driver, "type-server").click()
    name = unique("reporting – JWT for")
    by_id(driver, "name").send_keys(name)
    by_id(driver, "generate_jwt").click()
    # Search-as-you-type: the first letters offer the user; picking fills the field.
    by_id(driver, "restricted_user").send_keys(target.username[:-3])
    from selenium.webdriver.common.by import By
    pick = wait(driver, lambda d: [b for b in d.find_elements(By.CSS_SELECTOR, "#user-suggestions button") if target.username in b.text])
    driver.shots("search")
    pick[0].click()
    assert by_id(driver, "restricted_user").get_attribute("value") == target.username
    by_id(driver, "generate").click()
    wait(driver, lambda d: d.title.startswith("API Token created"))
    driver.shots("created")
    axe_clean(driver, "API Token created")
    assert by_id(driver, "restricted").text == target.username
    assert "cannot be shown again" in by_id(driver, "warning").text
    key = by_id(driver, "key").text
    token_secret = secret(by_id(driver, "secret").text)
    jwt = secret(by_id(driver, "jwt").text)
    check(re.fullmatch(r"[0-9a-f]{64}", token_secret) is not None, "the secret is 64 hex digits")
    # The page that shows secrets is never cached, and Copy buttons exist once the script ran.
    r = requests.get(server.url + "/dashboard/tokens", cookies=session_cookies(driver), timeout=10)
    assert r.headers["Cache-Control"] == "no-store"
    assert not by_id(driver, "key").find_elements(By.XPATH, "following-sibling::button[@hidden]")

    # The JWT acts as the user it is restricted to.
    r = current_user(server, jwt)
    assert r.status_code == 200 and r.json()["username"] == target.username, show(r)

    # The list shows it, with the restriction and that a JWT was issued; the secret is not on it.
    by_id(driver, "back").click()
    wait(driver, lambda d: d.title.startswith("API Token Management"))
    driver.shots("list")
    row = [tr for tr in driver.find_elements(By.CSS_SELECTOR, "#token-list tbody tr") if key in tr.text][0]
    assert name in row.text and target.username in row.text and "Yes" in row.text
    check(token_secret not in driver.page_source and jwt not in driver.page_source, "the list does not show the secret or the JWT")

    # Delete, behind a confirmation; the JWT is refused at once.
    token_id = row.get_attribute("id").split("-")[1]
    by_id(driver, f"delete-{token_id}").click()
    wait(driver, lambda d: d.title.startswith("Delete this token?"))
    driver.shots("confirm-delete")
    by_id(driver, "confirm").click()
    wait(driver, lambda d: d.find_elements("id", "done"))
    driver.shots("deleted")
    assert key not in by_id(driver, "token-list").text
    deki_error(current_user(server, jwt), 403, "invalid json web token")


def test_seed_000_editing_the_restriction_revokes_the_jwt_and_reissuing_gives_a_new_one(server, admin, driver):
    first = create_user(server, admin, "Viewer")
    second = create_user(server, admin, "Viewer")
    sign_in(driver, server, "admin", ADMIN_PASSWORD)
    open_page(driver, server, "/dashboard/tokens", "tokens")
    by_id(driver, "name").send_keys(unique("edit me"))
    by_id(driver, "generate_jwt").click()
    by_id(driver, "restricted_user").send_keys(first.username)  # typed in full: no script needed
    by_id(driver, "generate").click()
    wait(driver, lambda d: d.title.startswith("API Token created"))
    jwt = secret(by_id(driver, "jwt").text)
    key = by_id(driver, "key").text
    assert current_user(server, jwt).json()["username"] == first.username

    from selenium.webdriver.common.by import By
    open_page(driver, server, "/dashboard/tokens", "list")
    row = [tr for tr in driver.find_elements(By.CSS_SELECTOR, "#token-list tbody tr") if key in tr.text][0]
    token_id = row.get_attribute("id").split("-")[1]
    by_id(driver, f"edit-{token_id}").click()
    wait(driver, lambda d: d.title.startswith("Edit"))
    driver.shots("edit")
    field = by_id(driver, "restricted_user")
    field.clear()
    field.send_keys(second.username)
    by_id(driver, "save").click()
    wait(driver, lambda d: d.find_elements("id", "done"))
    driver.shots("saved")
    assert "long-term JWT was revoked" in by_id(driver, "done").text
    deki_error(current_user(server, jwt), 403, "invalid json web token")

    by_id(driver, "reissue-jwt").click()
    wait(driver, lambda d: d.title.startswith("New long-term JWT issued"))
    driver.shots("reissued")
    new_jwt = secret(by_id(driver, "jwt").text)
    assert current_user(server, new_jwt).json()["username"] == second.username


def test_an_unknown_restricted_user_is_explained_and_the_form_keeps_what_was_typed(server, admin, driver):
    person = create_user(server, admin, "Viewer")
    sign_in(driver, server, "admin", ADMIN_PASSWORD)
    open_page(driver, server, "/dashboard/tokens", "tokens")
    name = unique("kept")
    by_id(driver, "name").send_keys(name)
    by_id(driver, "generate_jwt").click()
    # Without script a partial name is answered with the matching users to pick from.
    driver.execute_script("document.getElementById('user-suggestions').remove()")
    by_id(driver, "restricted_user").send_keys(person.username[:-2])
    by_id(driver, "generate").click()
    wait(driver, lambda d: d.find_elements("id", "error"))
    driver.shots("not-found")
    assert "No user is named" in by_id(driver, "error").text
    assert by_id(driver, "name").get_attribute("value") == name
    assert by_id(driver, "generate_jwt").is_selected()
    from selenium.webdriver.common.by import By
    choice = driver.find_element(By.CSS_SELECTOR, f"input[name=restricted_pick][value='{person.username}']")
    choice.click()
    by_id(driver, "generate").click()
    wait(driver, lambda d: d.title.startswith("API Token created"))
    assert by_id(driver, "restricted").text == person.username


def test_browser_and_oauth_tokens_from_the_form_and_their_rules(server, driver):
    sign_in(driver, server, "admin", ADMIN_PASSWORD)
    open_page(driver, server, "/dashboard/tokens", "tokens")
    by_id(driver, "type-browser").click()
    by_id(driver, "name").send_keys(unique("browser"))
    by_id(driver, "generate").click()
    wait(driver, lambda d: d.find_elements("id", "error"))
    driver.shots("browser-needs-host")
    assert by_id(driver, "error").text == "a browser token needs at least one host"
    assert by_id(driver, "type-browser").is_selected()
    by_id(driver, "hosts").send_keys("https://app.example.org")
    by_id(driver, "generate").click()
    wait(driver, lambda d: d.title.startswith("API Token created"))
    driver.shots("browser-created")
    assert not driver.find_elements("id", "secret") and not driver.find_elements("id", "jwt")
    browser_key = by_id(driver, "key").text
    r = requests.get(server.url + USERS + "/current", params=JSON_OUT,
                     headers={"X-Deki-Token": browser_key, "Origin": "https://app.example.org"}, timeout=10)
    assert r.status_code == 200, show(r)

    open_page(driver, server, "/dashboard/tokens", "tokens-again")
    by_id(driver, "type-oauth").click()
    by_id(driver, "name").send_keys(unique("oauth"))
    by_id(driver, "hosts").send_keys("https://app.example.org")
    by_id(driver, "generate").click()
    wait(driver, lambda d: d.title.startswith("API Token created"))
    driver.shots("oauth-created")
    check(re.fullmatch(r"[0-9a-f]{64}", by_id(driver, "secret").text) is not None, "an OAuth token shows its client secret once")


def test_the_token_list_pages_on_the_server(server, admin):
    for n in range(55):
        r = requests.post(server.url + "/@api/deki/site/developer-tokens", params=JSON_OUT, headers={**bearer(admin.authtoken), "Content-Type": "application/xml"},
                          data=f"<developer-token type='server'><name>paging {n}</name></developer-token>", timeout=10)
        assert r.status_code == 200, show(r)
    session = requests.Session()
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', session.get(server.url + "/", timeout=10).text).group(1)
    session.post(server.url + "/", data={"csrf": csrf, "username": "admin", "password": ADMIN_PASSWORD}, timeout=10)
    first = session.get(server.url + "/dashboard/tokens", timeout=10)
    assert first.text.count('<tr id="token-') == 50
    total = int(re.search(r"Showing 1–50 of (\d+)", first.text).group(1))
    assert total >= 55
    second = session.get(server.url + "/dashboard/tokens?offset=50", timeout=10)
    assert second.text.count('<tr id="token-') == total - 50
    assert 'id="previous"' in second.text and ('id="next"' in second.text) == (total > 100)


# ---------------------------------------------------------------------------------------------------------------
# Seed 003: Generate Key, and access keys


def test_seed_003_generate_key_then_refresh_and_create_an_access_key_then_get_tokens(server, admin, driver):
    person = create_user(server, admin, "Contributor")
    sign_in(driver, server, person.username, person.password)
    by_id(driver, "nav-key").click()
    wait(driver, lambda d: d.title.startswith("Generate Key"))
    driver.shots("generate-key")
    by_id(driver, "password").send_keys("wrong-" + person.password)
    by_id(driver, "generate").click()
    wait(driver, lambda d: d.find_elements("id", "error"))
    assert not driver.find_elements("id", "basic-token")
    by_id(driver, "password").send_keys(person.password)
    by_id(driver, "generate").click()
    wait(driver, lambda d: d.find_elements("id", "basic-token"))
    driver.shots("basic-token")
    axe_clean(driver, "Generate Key with its token")
    basic = secret(by_id(driver, "basic-token").text)
    assert "/public/user/refresh" in by_id(driver, "refresh-example").text
    r = requests.post(server.url + "/public/user/refresh", json={"token": basic}, timeout=10)
    assert r.status_code == 200, show(r)
    access = secret(r.json()["token"])
    assert current_user(server, access).json()["username"] == person.username

    by_id(driver, "nav-access-keys").click()
    wait(driver, lambda d: d.title.startswith("Access keys"))
    driver.shots("access-keys")
    assert not driver.find_elements("id", "username"), "only holders of Access Key create keys for others"
    by_id(driver, "create").click()
    wait(driver, lambda d: d.title.startswith("Access key created"))
    driver.shots("access-key-created")
    axe_clean(driver, "Access key created")
    key_id = by_id(driver, "access-key-id").text
    key_secret = secret(by_id(driver, "access-key-secret").text)
    r = requests.post(server.url + "/authentication/v1/token/access-key", json={"accessKeyId": key_id, "accessKeySecret": key_secret}, timeout=10)
    assert r.status_code == 200, show(r)
    assert current_user(server, secret(r.json()["access_token"])).json()["username"] == person.username

    # Deactivate on the page: the key is refused; activate: accepted again; delete.
    by_id(driver, "back").click()
    wait(driver, lambda d: d.title.startswith("Access keys"))
    from selenium.webdriver.common.by import By
    row = [tr for tr in driver.find_elements(By.CSS_SELECTOR, "#key-list tbody tr") if key_id in tr.text][0]
    assert "Active" in row.text and "never" not in row.text.split("Active", 1)[1], "last used is shown once used"
    row.find_element(By.XPATH, ".//button[text()='Deactivate']").click()
    wait(driver, lambda d: d.find_elements("id", "done"))
    driver.shots("deactivated")
    r = requests.post(server.url + "/authentication/v1/token/access-key", json={"accessKeyId": key_id, "accessKeySecret": key_secret}, timeout=10)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant", show(r)
    row = [tr for tr in driver.find_elements(By.CSS_SELECTOR, "#key-list tbody tr") if key_id in tr.text][0]
    row.find_element(By.LINK_TEXT, "Delete").click()
    wait(driver, lambda d: d.title.startswith("Delete this access key?"))
    driver.shots("confirm-delete")
    by_id(driver, "confirm").click()
    wait(driver, lambda d: d.find_elements("id", "done"))
    assert key_id not in by_id(driver, "key-list").text


def test_an_administrator_creates_an_access_key_for_another_user_and_sees_everyones(server, admin, driver):
    person = create_user(server, admin, "Viewer")
    sign_in(driver, server, "admin", ADMIN_PASSWORD)
    open_page(driver, server, "/dashboard/access-keys", "access-keys")
    by_id(driver, "username").send_keys(person.username)
    by_id(driver, "create").click()
    wait(driver, lambda d: d.title.startswith("Access key created"))
    assert by_id(driver, "owner").text == person.username
    key_id = by_id(driver, "access-key-id").text
    open_page(driver, server, "/dashboard/access-keys", "mine")
    assert key_id not in by_id(driver, "key-list").text
    by_id(driver, "show-all").click()
    wait(driver, lambda d: d.find_elements("id", "show-mine"))
    driver.shots("everyone")
    assert key_id in by_id(driver, "key-list").text


# ---------------------------------------------------------------------------------------------------------------
# Seed 004: register, approve, sign in with the new application


def test_seed_004_register_approve_and_sign_in_through_the_code_flow(server, admin, driver):
    sign_in(driver, server, "admin", ADMIN_PASSWORD)
    by_id(driver, "nav-applications").click()
    wait(driver, lambda d: d.title.startswith("Applications"))
    driver.shots("applications")
    by_id(driver, "register").click()
    wait(driver, lambda d: d.title.startswith("Register an application"))
    driver.shots("form")
    name = unique("Agent client")
    callback = server.url + "/callback-of-the-app"
    by_id(driver, "name").send_keys(name)
    by_id(driver, "description").send_keys("An agent client that signs agents in.")
    by_id(driver, "contacts").clear()
    by_id(driver, "contacts").send_keys("dev@example.org")
    by_id(driver, "type-confidential").click()
    by_id(driver, "redirects").send_keys(callback)
    # Multiple tenants without answering the government question is refused, with the answer kept.
    by_id(driver, "tenancy-multiple").click()
    by_id(driver, "submit-registration").click()
    wait(driver, lambda d: d.find_elements("id", "error"))
    driver.shots("government-question")
    axe_clean(driver, "registration form with an error")
    assert "government" in by_id(driver, "error").text
    assert by_id(driver, "name").get_attribute("value") == name
    by_id(driver, "tenancy-single").click()
    by_id(driver, "submit-registration").click()
    wait(driver, lambda d: d.find_elements("id", "tracking"))
    driver.shots("submitted")
    tracking = by_id(driver, "tracking").text
    assert re.fullmatch(r"TR-\d{10}", tracking) and tracking in by_id(driver, "done").text
    assert "pending" in by_id(driver, "status").text

    by_id(driver, "approve-button").click()
    from selenium.webdriver.common.by import By
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "[id^=client-secret-]"))
    driver.shots("approved")
    axe_clean(driver, "approved application")
    client_id = driver.find_element(By.CSS_SELECTOR, "[id^=client-id-]").text
    client_secret = secret(driver.find_element(By.CSS_SELECTOR, "[id^=client-secret-]").text)
    # Shown once: the registration's page no longer has it.
    driver.get(server.url + f"/dashboard/applications/{tracking}")
    check(client_secret not in driver.page_source, "the client secret is shown once")

    # The new application signs the administrator in: consent page, then a code at the callback.
    driver.get(server.url + "/auth/authorize?" + urlencode({"client_id": client_id, "redirect_uri": callback, "response_type": "code",
                                                             "scope": "openid", "state": "s-004"}))
    wait(driver, lambda d: d.find_elements("id", "allow"))
    driver.shots("consent")
    axe_clean(driver, "consent page")
    by_id(driver, "allow").click()
    wait(driver, lambda d: d.current_url.startswith(callback))
    query = parse_qs(urlsplit(driver.current_url).query)
    assert query["state"] == ["s-004"]
    r = requests.post(server.url + "/auth/token", data={"grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": callback},
                      auth=(client_id, client_secret), timeout=10)
    assert r.status_code == 200 and "id_token" in r.json(), show(r)

    # The application now appears among the administrator's authorized applications, with Revoke.
    open_page(driver, server, "/dashboard/applications", "authorized")
    assert name in by_id(driver, "authorized").text
    row = [tr for tr in driver.find_elements(By.CSS_SELECTOR, "#authorized tbody tr") if name in tr.text][0]
    row.find_element(By.TAG_NAME, "button").click()
    wait(driver, lambda d: d.find_elements("id", "done"))
    driver.shots("revoked")
    assert not driver.find_elements("id", "authorized") or name not in by_id(driver, "authorized").text

    # Disable, enable, schedule deletion.
    driver.get(server.url + f"/dashboard/applications/{tracking}")
    by_id(driver, "toggle-button").click()
    wait(driver, lambda d: "disabled" in by_id(d, "status").text)
    by_id(driver, "toggle-button").click()
    wait(driver, lambda d: "disabled" not in by_id(d, "status").text)
    by_id(driver, "delete").click()
    wait(driver, lambda d: d.find_elements("id", "confirm"))
    driver.shots("confirm-delete")
    by_id(driver, "confirm").click()
    wait(driver, lambda d: "deletion scheduled" in by_id(d, "status").text)
    driver.shots("scheduled")


def test_a_private_key_jwt_back_end_registered_on_the_page_gets_no_secret(server, admin, driver):
    from selenium.webdriver.support.ui import Select
    sign_in(driver, server, "admin", ADMIN_PASSWORD)
    open_page(driver, server, "/dashboard/applications/new", "form")
    by_id(driver, "name").send_keys(unique("Signed back end"))
    by_id(driver, "type-backend").click()
    Select(by_id(driver, "auth_method")).select_by_value("private_key_jwt")
    by_id(driver, "submit-registration").click()
    wait(driver, lambda d: d.find_elements("id", "error"))
    driver.shots("needs-keys")
    assert by_id(driver, "error").text == "private_key_jwt needs the application's keys: jwks or jwksEndpoint"
    by_id(driver, "jwks_url").send_keys("https://keys.example.org/jwks.json")
    by_id(driver, "submit-registration").click()
    wait(driver, lambda d: d.find_elements("id", "tracking"))
    tracking = by_id(driver, "tracking").text
    by_id(driver, "approve-button").click()
    from selenium.webdriver.common.by import By
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "[id^=client-id-]"))
    driver.shots("approved")
    assert not driver.find_elements(By.CSS_SELECTOR, "[id^=client-secret-]")
    r = requests.get(server.url + f"/authentication/v1/applications/{tracking}", headers=bearer(admin.authtoken), timeout=10)
    assert r.json()["authMethod"] == "private_key_jwt" and r.json()["jwksEndpoint"] == "https://keys.example.org/jwks.json", show(r)


# ---------------------------------------------------------------------------------------------------------------
# Users, settings, audit


def test_users_search_create_edit_and_the_last_administrator_guard(server, admin, driver):
    sign_in(driver, server, "admin", ADMIN_PASSWORD)
    by_id(driver, "nav-users").click()
    wait(driver, lambda d: d.title.startswith("Users"))
    driver.shots("users")
    username = unique("made-on-page")
    by_id(driver, "new-username").send_keys(username)
    by_id(driver, "new-email").send_keys(username + "@example.org")
    from selenium.webdriver.support.ui import Select
    Select(by_id(driver, "new-role")).select_by_visible_text("Contributor")
    by_id(driver, "new-password").send_keys("pw-made-on-page-1")
    by_id(driver, "create").click()
    wait(driver, lambda d: d.find_elements("id", "done"))
    driver.shots("created")
    assert User(server, username, "pw-made-on-page-1").role == "Contributor"

    Select(by_id(driver, "role")).select_by_visible_text("Viewer")
    by_id(driver, "seat").click()
    by_id(driver, "save").click()
    # The page already says "created": wait for the answer to the save.
    wait(driver, lambda d: by_id(d, "done").text == "The user was saved.")
    r = requests.get(server.url + USERS + f"/={username}", params=JSON_OUT, headers=bearer(admin.authtoken), timeout=10)
    assert r.json()["permissions.user"]["role"] == "Viewer", show(r)

    open_page(driver, server, "/dashboard/users?q=" + username[:-2], "search")
    assert username in by_id(driver, "user-list").text and "admin" not in by_id(driver, "user-list").text.split()

    # The only administrator cannot demote themselves; the page says why.
    open_page(driver, server, f"/dashboard/users/{admin.id}", "self")
    assert "that includes you" in by_id(driver, "role-hint").text
    Select(by_id(driver, "role")).select_by_visible_text("Viewer")
    by_id(driver, "save").click()
    wait(driver, lambda d: d.find_elements("id", "error"))
    driver.shots("last-admin")
    assert by_id(driver, "error").text == "the last active administrator cannot be deactivated or lose the Admin role"


def test_branding_preview_and_save_from_the_page_and_the_api(server, admin, driver):
    sign_in(driver, server, "admin", ADMIN_PASSWORD)
    open_page(driver, server, "/dashboard/settings", "settings")
    by_id(driver, "colour").clear()
    by_id(driver, "colour").send_keys("#ffe08a")
    by_id(driver, "preview-button").click()
    wait(driver, lambda d: "not saved" in by_id(d, "preview").text)
    driver.shots("preview")
    assert driver.execute_script("return getComputedStyle(document.querySelector('#preview div')).backgroundColor") == "rgb(255, 224, 138)"
    # A light colour gets dark text: the header stays readable.
    assert driver.execute_script("return getComputedStyle(document.querySelector('#preview div')).color") == "rgb(29, 35, 48)"
    assert driver.execute_script("return getComputedStyle(document.querySelector('header')).backgroundColor") != "rgb(255, 224, 138)"
    by_id(driver, "save-branding").click()
    wait(driver, lambda d: d.find_elements("id", "done"))
    driver.shots("saved")
    assert driver.execute_script("return getComputedStyle(document.querySelector('header')).backgroundColor") == "rgb(255, 224, 138)"
    r = requests.get(server.url + "/@api/deki/site/branding", headers=bearer(admin.authtoken), timeout=10)
    assert r.json() == {"logoUrl": None, "colour": "#ffe08a"}, show(r)
    r = requests.put(server.url + "/@api/deki/site/branding", json={"colour": "not a colour"}, headers=bearer(admin.authtoken), timeout=10)
    assert r.status_code == 400, show(r)
    r = requests.put(server.url + "/@api/deki/site/branding", json={"colour": ""}, headers=bearer(admin.authtoken), timeout=10)
    assert r.status_code == 200 and r.json()["colour"] is None, show(r)


def test_legacy_tokens_on_shows_the_key_once_with_the_warning_then_off(server, driver):
    sign_in(driver, server, "admin", ADMIN_PASSWORD)
    open_page(driver, server, "/dashboard/settings", "settings")
    assert "weak" in by_id(driver, "legacy-warning").text
    by_id(driver, "legacy-toggle").click()
    wait(driver, lambda d: d.find_elements("id", "api-key"))
    driver.shots("legacy-on")
    api_key = secret(by_id(driver, "api-key").text)
    r = requests.get(server.url + USERS + "/current", params={**JSON_OUT, "apikey": api_key, "impersonateuserid": "1"}, timeout=10)
    assert r.status_code == 200 and r.json()["username"] == "admin", show(r)
    driver.get(server.url + "/dashboard/settings")
    check(api_key not in driver.page_source, "the API key is shown once")
    by_id(driver, "legacy-toggle").click()
    wait(driver, lambda d: d.find_elements("id", "done"))
    driver.shots("legacy-off")
    r = requests.get(server.url + USERS + "/current", params={**JSON_OUT, "apikey": api_key, "impersonateuserid": "1"}, timeout=10)
    assert r.status_code in (401, 403), show(r)


def test_the_audit_trail_filters_by_actor_outcome_and_action_and_refuses_bad_filters(server, admin, driver):
    person = create_user(server, admin, "Viewer")
    requests.get(server.url + USERS + "/authenticate", auth=(person.username, "wrong-password"), timeout=10)
    sign_in(driver, server, "admin", ADMIN_PASSWORD)
    open_page(driver, server, "/dashboard/audit", "audit")
    assert by_id(driver, "audit-list").find_elements("css selector", "tbody tr")
    open_page(driver, server, "/dashboard/audit?" + urlencode({"actor": "admin", "outcome": "success", "action": "signin"}), "filtered")
    rows = driver.find_elements("css selector", "#audit-list tbody tr")
    assert rows and all("signin" in r.text and "success" in r.text and "admin" in r.text for r in rows)
    # The wrong password is on the trail as a refused credential, against the account, without what was typed.
    open_page(driver, server, "/dashboard/audit?" + urlencode({"actor": person.username, "outcome": "refused"}), "refused")
    rows = driver.find_elements("css selector", "#audit-list tbody tr")
    assert rows and "sign-in: wrong username or password" in rows[0].text and "credential.refused" in rows[0].text
    assert "wrong-password" not in by_id(driver, "audit-list").text
    open_page(driver, server, "/dashboard/audit?from=yesterday&token=x", "bad-filter")
    assert "date and time" in by_id(driver, "error").text and "number" in by_id(driver, "error").text


# ---------------------------------------------------------------------------------------------------------------
# Forged posts, headers, accessibility


def test_a_forged_post_without_the_csrf_field_or_with_another_sessions_is_refused(server, admin, driver):
    sign_in(driver, server, "admin", ADMIN_PASSWORD)
    cookies = session_cookies(driver)
    name = unique("forged")
    form = {"type": "server", "name": name}
    r = requests.post(server.url + "/dashboard/tokens", data=form, cookies=cookies, timeout=10)
    assert r.status_code == 403 and "did not come from this site" in r.text
    # A token valid for another browser's cookie is no good with this one.
    other = requests.Session()
    other_csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', other.get(server.url + "/", timeout=10).text).group(1)
    r = requests.post(server.url + "/dashboard/tokens", data={**form, "csrf": other_csrf}, cookies=cookies, timeout=10)
    assert r.status_code == 403
    for path in ["/dashboard/users", "/dashboard/settings/legacy-tokens", "/dashboard/access-keys", "/signout"]:
        r = requests.post(server.url + path, data={"enabled": "true", "username": "x"}, cookies=cookies, timeout=10, allow_redirects=False)
        assert r.status_code == 403, (path, r.status_code)
    r = requests.get(server.url + "/@api/deki/site/developer-tokens", params=JSON_OUT, headers=bearer(admin.authtoken), timeout=10)
    assert name not in r.text
    # Without a session, a post is sent to sign in, not served.
    r = requests.post(server.url + "/dashboard/tokens", data=form, allow_redirects=False, timeout=10)
    assert r.status_code == 303 and r.headers["Location"] == "/"


def front_door_session(server, username="admin", password=ADMIN_PASSWORD):
    """A requests session signed in through the front door."""
    session = requests.Session()
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', session.get(server.url + "/", timeout=10).text).group(1)
    r = session.post(server.url + "/", data={"csrf": csrf, "username": username, "password": password}, allow_redirects=False, timeout=10)
    assert r.status_code == 303 and "tessera_session" in session.cookies, r.status_code
    return session


def form_token(session, url):
    return re.search(r'name="csrf" value="([0-9a-f]+)"', session.get(url, timeout=10).text).group(1)


def test_a_csrf_pair_from_before_sign_in_or_from_another_browser_is_no_good_with_a_session(server):
    # An attacker's cookie and token, obtained anonymously (or planted before the victim signed in) ...
    attacker = requests.Session()
    planted_token = form_token(attacker, server.url + "/")
    planted_cookie = attacker.cookies["tessera_csrf"]
    victim = front_door_session(server)
    # ... do not work with the victim's session, even with the planted cookie put in the victim's browser.
    cookies = {"tessera_session": victim.cookies["tessera_session"], "tessera_csrf": planted_cookie}
    r = requests.post(server.url + "/dashboard/tokens", data={"csrf": planted_token, "type": "server", "name": unique("planted")}, cookies=cookies,
                      timeout=10)
    assert r.status_code == 403
    # Sign-in replaced the CSRF cookie the browser had before.
    before = requests.Session()
    form_token(before, server.url + "/")
    old = before.cookies["tessera_csrf"]
    csrf = form_token(before, server.url + "/")
    r = before.post(server.url + "/", data={"csrf": csrf, "username": "admin", "password": ADMIN_PASSWORD}, allow_redirects=False, timeout=10)
    assert r.status_code == 303 and before.cookies["tessera_csrf"] != old
    # A token from the signed-in page works; once signed out, it does not.
    token = form_token(victim, server.url + "/dashboard/tokens")
    r = victim.post(server.url + "/dashboard/tokens", data={"csrf": token, "type": "server", "name": unique("genuine")}, timeout=10)
    assert r.status_code == 200 and "API Token created" in r.text
    old_session = victim.cookies["tessera_session"]
    victim.post(server.url + "/signout", data={"csrf": token}, timeout=10)
    r = requests.post(server.url + "/dashboard/tokens", data={"csrf": token, "type": "server", "name": unique("after")},
                      cookies={"tessera_session": old_session, "tessera_csrf": victim.cookies["tessera_csrf"]}, allow_redirects=False, timeout=10)
    assert r.status_code == 303 and r.headers["Location"] == "/"


def test_a_replayed_form_post_does_not_act_twice(server, admin):
    session = front_door_session(server)
    # Delete a token, then replay the same confirmed delete: the second is a 404 page, nothing else is touched.
    token = form_token(session, server.url + "/dashboard/tokens")
    created = session.post(server.url + "/dashboard/tokens", data={"csrf": token, "type": "server", "name": unique("replayed")}, timeout=10)
    key = re.search(r'id="key">([0-9a-f]{64})<', created.text).group(1)
    token_id = re.search(r'<tr id="token-(\d+)">(?:(?!</tr>).)*' + key, session.get(server.url + "/dashboard/tokens", timeout=10).text, re.S).group(1)
    delete = {"csrf": form_token(session, server.url + f"/dashboard/tokens/{token_id}/delete")}
    assert session.post(server.url + f"/dashboard/tokens/{token_id}/delete", data=delete, allow_redirects=False, timeout=10).status_code == 303
    replay = session.post(server.url + f"/dashboard/tokens/{token_id}/delete", data=delete, allow_redirects=False, timeout=10)
    assert replay.status_code == 404 and "text/html" in replay.headers["Content-Type"]
    # Approve a registration, then replay the approval: refused, and no second set of secrets is shown.
    body = {"name": unique("Replay"), "type": "backend", "authMethod": "client_secret_basic", "tenancy": "single"}
    r = requests.post(server.url + "/authentication/v1/applications", json=body, headers=bearer(admin.authtoken), timeout=10)
    tracking = r.json()["trackingNumber"]
    approve = {"csrf": form_token(session, server.url + f"/dashboard/applications/{tracking}")}
    first = session.post(server.url + f"/dashboard/applications/{tracking}/approve", data=approve, timeout=10)
    assert first.status_code == 200 and "client-secret-" in first.text
    again = session.post(server.url + f"/dashboard/applications/{tracking}/approve", data=approve, timeout=10)
    assert again.status_code in (400, 409) and "client-secret-" not in again.text, again.status_code


def test_malformed_forms_and_the_branding_api_are_refused_with_clear_errors(server, admin):
    session = front_door_session(server)
    token = form_token(session, server.url + "/dashboard/tokens")
    cases = [
        ({"data": f"csrf={token}&name=%zz&type=server", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, 400, "malformed"),
        ({"data": "x" * 70_000, "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, 413, None),
        ({"data": "{}", "headers": {"Content-Type": "application/json"}}, 415, None),
    ]
    for kwargs, status, text in cases:
        r = session.post(server.url + "/dashboard/tokens", timeout=10, **kwargs)
        assert r.status_code == status and "text/html" in r.headers["Content-Type"], (status, r.status_code)
        assert text is None or text in r.text
    for path in ["/dashboard/tokens/99999999999", "/dashboard/tokens/abc", "/dashboard/users/-1", "/dashboard/applications/TR-0000000000"]:
        assert session.get(server.url + path, timeout=10).status_code == 404, path
    # The branding API: Admin only, a JSON object of strings.
    contributor = create_user(server, admin, "Contributor")
    r = requests.put(server.url + "/@api/deki/site/branding", json={"colour": "#123456"}, headers=bearer(contributor.authtoken), timeout=10)
    assert r.status_code == 403, show(r)
    for body in ["not json", "[1]", '{"colour": 5}', '{"logoUrl": true}']:
        r = requests.put(server.url + "/@api/deki/site/branding", data=body, headers={**bearer(admin.authtoken), "Content-Type": "application/json"},
                         timeout=10)
        assert r.status_code == 400, (body, r.status_code)
    r = requests.get(server.url + "/@api/deki/site/branding", timeout=10)
    assert r.status_code in (401, 403), show(r)


def test_a_logo_url_cannot_add_directives_to_the_content_security_policy(server, admin):
    session = front_door_session(server)
    for logo in ["https://x%3Bframe-ancestors%20*%3Bscript-src-elem%20'unsafe-inline'%20*/a.png", "https://x%20*/a.png",
                 "https://ex%2Eample.org/a.png", "https://[::1;]/a.png"]:
        token = form_token(session, server.url + "/dashboard/settings")
        r = session.post(server.url + "/dashboard/settings/branding", data={"csrf": token, "action": "save", "logo": logo, "colour": ""}, timeout=10)
        assert r.status_code == 400 and "logo must be" in r.text, logo
        r = requests.put(server.url + "/@api/deki/site/branding", json={"logoUrl": logo}, headers=bearer(admin.authtoken), timeout=10)
        assert r.status_code == 400, logo
    csp = requests.get(server.url + "/", timeout=10).headers["Content-Security-Policy"]
    assert csp.count("frame-ancestors") == 1 and "img-src 'none'" in csp
    r = requests.put(server.url + "/@api/deki/site/branding", json={"logoUrl": "https://CDN.example.org:8443/logo.png"},
                     headers=bearer(admin.authtoken), timeout=10)
    assert r.status_code == 200, show(r)
    assert wait_until(lambda: "img-src https://cdn.example.org:8443;" in requests.get(server.url + "/", timeout=10).headers["Content-Security-Policy"])
    requests.put(server.url + "/@api/deki/site/branding", json={"logoUrl": ""}, headers=bearer(admin.authtoken), timeout=10)
    # A colour only reaches the page's style once checked, previewed or not.
    token = form_token(session, server.url + "/dashboard/settings")
    r = session.post(server.url + "/dashboard/settings/branding", data={"csrf": token, "action": "preview", "logo": "", "colour": "#+fffff"}, timeout=10)
    assert r.status_code == 400 and "#+fffff" not in r.text.split("</style>")[0]


def wait_until(predicate, timeout=8):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_after_sign_in_the_browser_goes_only_to_a_plain_dashboard_path(server):
    for target, expected in [("/dashboard/users?q=ad", "/dashboard/users?q=ad"), ("/dashboard/%2e%2e/auth/authorize?client_id=x", "/"),
                             ("/dashboard/%2E%2E/x", "/"), ("/dashboard/./x", "/"), ("/dashboard/x%2fy", "/")]:
        session = requests.Session()
        csrf = form_token(session, server.url + "/")
        r = session.post(server.url + "/", data={"csrf": csrf, "username": "admin", "password": ADMIN_PASSWORD, "next": target},
                         allow_redirects=False, timeout=10)
        assert r.headers["Location"] == expected, target
    r = requests.get(server.url + "/dashboard", allow_redirects=False, timeout=10)
    assert r.status_code == 303 and r.headers["Location"] == "/"


def test_without_access_key_the_page_does_not_say_whether_a_username_exists(server, admin):
    person = create_user(server, admin, "Contributor")
    session = front_door_session(server, person.username, person.password)
    answers = []
    for name in ["admin", "no-such-user-" + unique("x")]:
        token = form_token(session, server.url + "/dashboard/access-keys")
        r = session.post(server.url + "/dashboard/access-keys", data={"csrf": token, "username": name}, timeout=10)
        answers.append((r.status_code, re.search(r'id="error"[^>]*>(.*?)<', r.text).group(1)))
    assert answers[0] == answers[1] and answers[0][0] == 403, answers


def test_dashboard_pages_post_their_forms_only_to_this_server(server):
    session = front_door_session(server)
    for path in ["/", "/dashboard/tokens", "/dashboard/settings"]:
        assert "form-action 'self'" in session.get(server.url + path, timeout=10).headers["Content-Security-Policy"], path
    assert "form-action" in requests.get(server.url + "/", timeout=10).headers["Content-Security-Policy"]


def test_pages_are_never_framed_run_only_their_own_nonce_script_and_are_not_cached(server, driver):
    sign_in(driver, server, "admin", ADMIN_PASSWORD)
    for path in ["/", "/dashboard/tokens", "/dashboard/key", "/dashboard/settings"]:
        r = requests.get(server.url + path, cookies=session_cookies(driver), timeout=10)
        csp = r.headers["Content-Security-Policy"]
        nonce = re.search(r"script-src 'nonce-([0-9a-f]{32})'", csp).group(1)
        assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
        assert r.headers["X-Frame-Options"] == "DENY" and r.headers["Cache-Control"] == "no-store"
        assert all(tag == f'<script nonce="{nonce}">' for tag in re.findall(r"<script[^>]*>", r.text)), path
        assert re.search(r"\son[a-z]+=", r.text) is None, "no inline event handlers"
    # A new nonce on every response.
    a = requests.get(server.url + "/", timeout=10).headers["Content-Security-Policy"]
    b = requests.get(server.url + "/", timeout=10).headers["Content-Security-Policy"]
    assert a != b


def admin_pages(server, admin):
    r = requests.post(server.url + "/@api/deki/site/developer-tokens", params=JSON_OUT, headers={**bearer(admin.authtoken), "Content-Type": "application/xml"},
                      data="<developer-token type='server'><name>axe</name></developer-token>", timeout=10)
    token_id = r.json()["@id"]
    return ["/", "/dashboard/tokens", f"/dashboard/tokens/{token_id}", f"/dashboard/tokens/{token_id}/delete", "/dashboard/key",
            "/dashboard/access-keys", "/dashboard/applications", "/dashboard/applications/new", "/dashboard/users", f"/dashboard/users/{admin.id}",
            "/dashboard/settings", "/dashboard/audit", "/dashboard/no-such-page"]


@pytest.mark.parametrize("width", [1280, 360])
def test_axe_finds_nothing_serious_on_any_page_and_nothing_overflows_at_360px(server, admin, driver, width):
    from axe_selenium_python import Axe
    # Headless Chromium's window is at least 500 px wide: narrower is a phone's viewport, emulated.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 500})
    open_page(driver, server, "/", f"signin-{width}")
    pages = admin_pages(server, admin)
    findings = {}

    def audit(path):
        axe = Axe(driver)
        axe.inject()
        results = axe.run()
        serious = [f"{v['id']}: {v['help']} ({len(v['nodes'])}×, e.g. {v['nodes'][0]['html'][:120]})" for v in results["violations"]
                   if v["impact"] in ("serious", "critical")]
        if serious:
            findings[path] = serious
        overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than a {width}px window"
        assert driver.execute_script("return window.innerWidth") == width

    audit("/ (signed out)")
    sign_in(driver, server, "admin", ADMIN_PASSWORD)
    for path in pages:
        open_page(driver, server, path, f"{path.strip('/').replace('/', '-') or 'home'}-{width}")
        audit(path)
    assert not findings, findings


def test_keyboard_alone_reaches_the_token_form_and_focus_is_visible(server, driver):
    from selenium.webdriver.common.keys import Keys
    sign_in(driver, server, "admin", ADMIN_PASSWORD)
    open_page(driver, server, "/dashboard/tokens", "tokens")
    body = driver.find_element("tag name", "body")
    body.send_keys(Keys.TAB)
    assert driver.switch_to.active_element.get_attribute("class") == "skip"
    reached = []
    for _ in range(40):
        driver.switch_to.active_element.send_keys(Keys.TAB)
        active = driver.switch_to.active_element
        reached.append(active.get_attribute("id"))
        if active.get_attribute("id") == "generate":
            outline = driver.execute_script("return getComputedStyle(arguments[0]).outlineStyle", active)
            assert outline == "solid", outline
            break
    assert "generate" in reached and reached.index("name") < reached.index("generate_jwt") < reached.index("generate"), reached
