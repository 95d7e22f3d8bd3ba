--
-- PostgreSQL database dump
--

\restrict 4BNheSz8tNtdMf7R0nxwdYbZrqFt4yY1oBDXS1dKC3ltw7dZde1i9IUcrZr7wTM

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: access_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.access_keys (
    id text NOT NULL,
    site_id uuid NOT NULL,
    user_id bigint NOT NULL,
    secret_hash text NOT NULL,
    is_active boolean NOT NULL,
    created_at bigint NOT NULL,
    last_used_at bigint
);


--
-- Name: app_registrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.app_registrations (
    tracking_number text NOT NULL,
    site_id uuid NOT NULL,
    name text NOT NULL,
    description text NOT NULL,
    business_unit bigint,
    contacts text NOT NULL,
    multi_tenant boolean NOT NULL,
    environments text NOT NULL,
    type text NOT NULL,
    auth_method text NOT NULL,
    redirect_uris text NOT NULL,
    logout_uris text NOT NULL,
    origins text NOT NULL,
    scopes text NOT NULL,
    status text NOT NULL,
    is_enabled boolean NOT NULL,
    created_by bigint,
    created_at bigint NOT NULL,
    modified_at bigint NOT NULL,
    approved_by bigint,
    approved_at bigint
);


--
-- Name: applications; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.applications (
    client_id text NOT NULL,
    site_id uuid NOT NULL,
    name text NOT NULL,
    type text NOT NULL,
    auth_method text NOT NULL,
    secret_salt text,
    redirect_uris text NOT NULL,
    multi_tenant boolean NOT NULL,
    is_enabled boolean NOT NULL,
    created_at bigint NOT NULL,
    tracking_number text,
    environment text DEFAULT ''::text NOT NULL,
    logout_uris text DEFAULT '[]'::text NOT NULL,
    origins text DEFAULT '[]'::text NOT NULL
);


--
-- Name: audit_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit_events (
    id bigint NOT NULL,
    site_id uuid NOT NULL,
    at bigint NOT NULL,
    action text NOT NULL,
    outcome text NOT NULL,
    actor_user_id bigint,
    token_id bigint,
    client_address text NOT NULL,
    detail text NOT NULL
);


--
-- Name: audit_events_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.audit_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: audit_events_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.audit_events_id_seq OWNED BY public.audit_events.id;


--
-- Name: authorization_codes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.authorization_codes (
    code_hash text NOT NULL,
    site_id uuid NOT NULL,
    client_id text NOT NULL,
    user_id bigint NOT NULL,
    redirect_uri text NOT NULL,
    code_challenge text,
    nonce text,
    scope text NOT NULL,
    auth_time bigint NOT NULL,
    family_id text NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    used_at bigint
);


--
-- Name: client_assertions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.client_assertions (
    client_id text NOT NULL,
    jti text NOT NULL,
    expires_at bigint NOT NULL
);


--
-- Name: developer_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.developer_tokens (
    site_id uuid NOT NULL,
    id bigint NOT NULL,
    type text NOT NULL,
    name text NOT NULL,
    key text NOT NULL,
    hosts text NOT NULL,
    restricted_user_id bigint,
    secret_salt text,
    secret_hash text,
    jwt_salt text,
    created_by bigint NOT NULL,
    created_at bigint NOT NULL
);


--
-- Name: device_authorizations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.device_authorizations (
    device_code_hash text NOT NULL,
    user_code text NOT NULL,
    site_id uuid NOT NULL,
    client_id text NOT NULL,
    scope text NOT NULL,
    status text NOT NULL,
    user_id bigint,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL
);


--
-- Name: grants; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.grants (
    site_id uuid NOT NULL,
    user_id bigint NOT NULL,
    client_id text NOT NULL,
    client_name text NOT NULL,
    scope text NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);


--
-- Name: identity_providers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.identity_providers (
    site_id uuid NOT NULL,
    issuer text NOT NULL,
    audience text NOT NULL,
    jwks_url text,
    static_jwks text,
    claims text NOT NULL,
    created_at bigint NOT NULL
);


--
-- Name: refresh_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.refresh_tokens (
    token_hash text NOT NULL,
    family_id text NOT NULL,
    site_id uuid NOT NULL,
    user_id bigint NOT NULL,
    client_id text,
    scope text NOT NULL,
    auth_time bigint NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    used_at bigint,
    revoked boolean DEFAULT false NOT NULL
);


--
-- Name: revocations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.revocations (
    site_id uuid NOT NULL,
    reference text NOT NULL,
    expires_at bigint NOT NULL
);


--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version integer NOT NULL,
    applied_at bigint NOT NULL
);


--
-- Name: server_settings; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.server_settings (
    name text NOT NULL,
    value text NOT NULL
);


--
-- Name: signing_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.signing_keys (
    site_id uuid NOT NULL,
    kid text NOT NULL,
    sealed_private_key bytea NOT NULL,
    created_at bigint NOT NULL,
    seq bigint NOT NULL
);


--
-- Name: site_hostnames; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.site_hostnames (
    hostname text NOT NULL,
    site_id uuid NOT NULL
);


--
-- Name: sites; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sites (
    id uuid NOT NULL,
    name text NOT NULL,
    is_default boolean DEFAULT false NOT NULL,
    auth_token_key bytea NOT NULL,
    next_user_id bigint DEFAULT 3 NOT NULL,
    created_at bigint NOT NULL,
    next_token_id bigint DEFAULT 1 NOT NULL,
    business_unit bigint DEFAULT 1000 NOT NULL,
    area text DEFAULT 'na1'::text NOT NULL,
    cluster text DEFAULT 'C1'::text NOT NULL,
    legacy_tokens boolean DEFAULT false NOT NULL,
    legacy_api_key bytea,
    branding_logo text,
    branding_colour text
);


--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    site_id uuid NOT NULL,
    id bigint NOT NULL,
    guid uuid NOT NULL,
    username text NOT NULL,
    username_key text NOT NULL,
    email text NOT NULL,
    full_name text NOT NULL,
    status text NOT NULL,
    has_seat boolean NOT NULL,
    role text NOT NULL,
    password_hash text,
    security_stamp text NOT NULL,
    created_at bigint NOT NULL,
    last_login_at bigint
);


--
-- Name: audit_events id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_events ALTER COLUMN id SET DEFAULT nextval('public.audit_events_id_seq'::regclass);


--
-- Data for Name: access_keys; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.access_keys VALUES ('NJ5IORJH4USXDKOZVDBJJOPVCCWX6QKCUABKUJQN64ABWEK2GTBA====', '0e696747-bf3d-46cf-8688-b31e5aac684b', 3, 'd33af96ca256a0e733019b309ac1a89c027abf875f312edac4e1e54a7ecf7b0d', true, 1795613463, 1795613463);


--
-- Data for Name: app_registrations; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.app_registrations VALUES ('TR-6929945225', '0e696747-bf3d-46cf-8688-b31e5aac684b', 'Fixture backend', '', NULL, '[]', false, '["na1"]', 'backend', 'client_secret_basic', '[]', '[]', '[]', '[]', 'approved', true, NULL, 1795613463, 1795613463, NULL, 1795613463);
INSERT INTO public.app_registrations VALUES ('TR-6112575876', '0e696747-bf3d-46cf-8688-b31e5aac684b', 'Fixture web app', '', NULL, '[]', false, '["na1"]', 'confidential', 'client_secret_basic', '["https:\/\/app.example.org\/callback"]', '[]', '["https:\/\/app.example.org"]', '[]', 'approved', true, NULL, 1795613464, 1795613464, NULL, 1795613464);


--
-- Data for Name: applications; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.applications VALUES ('9e404724-e2ff-4fe2-aef5-3c8d6524219d', '0e696747-bf3d-46cf-8688-b31e5aac684b', 'Fixture backend', 'backend', 'client_secret_basic', '34c711275d1583dd8419a981beb7958e', '[]', false, true, 1795613463, 'TR-6929945225', 'na1', '[]', '[]');
INSERT INTO public.applications VALUES ('d607bda2-544d-4a9f-9dab-f95ea1865666', '0e696747-bf3d-46cf-8688-b31e5aac684b', 'Fixture web app', 'confidential', 'client_secret_basic', 'e770b3444eaffd4b6f6bc36b8222941c', '["https:\/\/app.example.org\/callback"]', false, true, 1795613464, 'TR-6112575876', 'na1', '[]', '["https:\/\/app.example.org"]');


--
-- Data for Name: audit_events; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.audit_events VALUES (1, '0e696747-bf3d-46cf-8688-b31e5aac684b', 1795613463, 'developer-token.create', 'success', 1, 1, '127.0.0.1', 'server token ''Fixture server token'' with long-term JWT');
INSERT INTO public.audit_events VALUES (2, '0e696747-bf3d-46cf-8688-b31e5aac684b', 1795613463, 'developer-token.create', 'success', 1, 2, '127.0.0.1', 'browser token ''Fixture browser token''');
INSERT INTO public.audit_events VALUES (3, '0e696747-bf3d-46cf-8688-b31e5aac684b', 1795613463, 'developer-token.create', 'success', 1, 3, '127.0.0.1', 'oauth token ''Fixture OAuth token''');
INSERT INTO public.audit_events VALUES (4, '0e696747-bf3d-46cf-8688-b31e5aac684b', 1795613463, 'basic-token.create', 'success', 3, NULL, '127.0.0.1', 'Generate Key');
INSERT INTO public.audit_events VALUES (5, '0e696747-bf3d-46cf-8688-b31e5aac684b', 1795613463, 'access-key.create', 'success', 3, NULL, '127.0.0.1', 'access key NJ5IORJH… of user 3');
INSERT INTO public.audit_events VALUES (6, '0e696747-bf3d-46cf-8688-b31e5aac684b', 1795613463, 'app.register', 'success', NULL, NULL, '', 'TR-6929945225 backend ''Fixture backend''');
INSERT INTO public.audit_events VALUES (7, '0e696747-bf3d-46cf-8688-b31e5aac684b', 1795613463, 'app.approve', 'success', NULL, NULL, '', 'TR-6929945225: 1 client(s)');
INSERT INTO public.audit_events VALUES (8, '0e696747-bf3d-46cf-8688-b31e5aac684b', 1795613464, 'app.register', 'success', NULL, NULL, '', 'TR-6112575876 confidential ''Fixture web app''');
INSERT INTO public.audit_events VALUES (9, '0e696747-bf3d-46cf-8688-b31e5aac684b', 1795613464, 'app.approve', 'success', NULL, NULL, '', 'TR-6112575876: 1 client(s)');
INSERT INTO public.audit_events VALUES (10, '0e696747-bf3d-46cf-8688-b31e5aac684b', 1795613464, 'site.legacy-tokens.enable', 'success', NULL, NULL, 'cli', 'legacy tokens enabled (API key given); legacy tokens are weak: a site API key is a long-lived shared secret sent in URLs and headers, and impersonation tokens are MD5 hashes of it that let their holder act as any user; use server tokens, long-term JWTs or OAuth instead');
INSERT INTO public.audit_events VALUES (11, '0e696747-bf3d-46cf-8688-b31e5aac684b', 1795613464, 'token.revoke', 'success', 4, NULL, '127.0.0.1', 'authtoken revoked by client 9e404724-e2ff-4fe2-aef5-3c8d6524219d');


--
-- Data for Name: authorization_codes; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: client_assertions; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: developer_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.developer_tokens VALUES ('0e696747-bf3d-46cf-8688-b31e5aac684b', 1, 'server', 'Fixture server token', '6316113c48df55b93b2c9eebcc108136d6f7d184eba3f4df98ebdac2dd887064', '', 3, '41a060de811b1baa3f8ebfbc971c8ead', NULL, '10d95d6279a50e57316edbfd2db5c1b9', 1, 1795613463);
INSERT INTO public.developer_tokens VALUES ('0e696747-bf3d-46cf-8688-b31e5aac684b', 2, 'browser', 'Fixture browser token', 'aba2e191a3fb5739bd5151d2825acd9738b8846cda45bf5cd93be2cc4040fe59', 'app.example.org', NULL, NULL, NULL, NULL, 1, 1795613463);
INSERT INTO public.developer_tokens VALUES ('0e696747-bf3d-46cf-8688-b31e5aac684b', 3, 'oauth', 'Fixture OAuth token', '38e0bbb90b4a7abc1629e31ff89b20f4efbc3ca98b3a87672577df5dc6df4d1e', 'app.example.org', NULL, NULL, '3af64b482b15f231266f216e8277c7f6a90aded1ef77b3c111e0765c8ec137c2', NULL, 1, 1795613463);


--
-- Data for Name: device_authorizations; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: grants; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: identity_providers; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: refresh_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.refresh_tokens VALUES ('338c0d64afdeff74cafcc051553c2488c4e83b195a0d39f10ece3e4d210bfd25', '81e9e9d4-3cf9-4475-a957-50efb755d84a', '0e696747-bf3d-46cf-8688-b31e5aac684b', 3, NULL, 'openid', 1795613463, 1795613463, 1827149463, NULL, false);
INSERT INTO public.refresh_tokens VALUES ('a6daf9828b60ed433a1d8b3d9a60e8d2bd69767a7287ed8d0a4db394bfb128a2', '76226cd2-d4ad-4774-9310-c7ae32249257', '0e696747-bf3d-46cf-8688-b31e5aac684b', 3, NULL, 'openid', 1795613463, 1795613463, 1827149463, 1795613463, false);
INSERT INTO public.refresh_tokens VALUES ('c0799be5f01fd9e88c131b1bfcb2bb7d0d261a45ed700699e30043bd98003262', '76226cd2-d4ad-4774-9310-c7ae32249257', '0e696747-bf3d-46cf-8688-b31e5aac684b', 3, NULL, 'openid', 1795613463, 1795613463, 1827149463, NULL, false);


--
-- Data for Name: revocations; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.revocations VALUES ('0e696747-bf3d-46cf-8688-b31e5aac684b', 'auth:2a88bb066cdca5cce5e00272599f78e9', 2110973464);


--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.schema_migrations VALUES (1, 1795613462);
INSERT INTO public.schema_migrations VALUES (2, 1795613462);
INSERT INTO public.schema_migrations VALUES (3, 1795613462);
INSERT INTO public.schema_migrations VALUES (4, 1795613462);
INSERT INTO public.schema_migrations VALUES (5, 1795613462);


--
-- Data for Name: server_settings; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.server_settings VALUES ('master_key_fingerprint', 'dd71da1be7eb35482f0be20c51059cc2e7b623b2e7df26a727ad56cd9c1c3ab2');


--
-- Data for Name: signing_keys; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.signing_keys VALUES ('0e696747-bf3d-46cf-8688-b31e5aac684b', 'pbhGgmyRJQs5DPtot1LJKw', '\x53fbafea159225e4f8db6e7dec70db12d1f71b0d197f73578069a059e89d3fb5b632896fdad3da5a399281dd2da0b1aea60a809245d848f5674cd9971ad4897aa2fca78b45af267a3b4ae7bd2930c2877b3e08e27a82a3fa8b40cd79f392a3f8fd3d30233828b60bb338348ad1fa537b4d650d490bcf485f2e19fadf5d4551261baf5504bb6ce467f1cc7a8e6ab2cd24dba8a7012b027f229b3b1156f1d7ad74d54b6ceb8564565d4509bdf333d08b6e26b89733ab69c015135e6066ea6e0a0cd5d1f2d288bcd653ef95711ab2a321e71c2be0fd1e859be6723b8b6fc80d9bd2437798a8c377f3abe468393e02fc91d653f9a4297c927954c64bd32737cdb0e45a05cb988b3970ba3f7037348974e7085682b73decf109da6cf907f600a5f71090ec67cab694d858a93ed3994aa12c62b20c1491723f09b47c06270134efe22375c949b0ef06f583ff13786b2b850352681168399e638612f74c087b7ac989a05605e5c55f207b38ad33c43561eb75e13c0bacb777c2b45ba3ab84afa5ff2b0590f19adee7fdd71cfd6195fd84d00ae8d717f660bd233f9b74cc3e1480f6c00fc34898e91c4c888411110b00b83b75c04f33be95e992c9e70997b8540ba9e895e4164657cdddf747205bfed459ff9284d1ba04291513b31d8f0605bab839e78ec81c1dff86a927c94dc3681300530593c4068d26235d4f8e6950b73837b23cbcc01bcbb40d8b26f642682bbd9887bbb6593697b1f469e2f938fd62dbd167f52be3bfcc5c5c372aa3e4e667c8fda056835546152b01251492e50cc226a587fc4153feb558676df7373e767b0186fd9d693fa47bc626d0ac5f9adc96022ac2dbf892c15a8d528fc1e06dbbe75f17fec8a87ac8674d585677dcf1b70a8314203ef19d5278c01faf6be91dbe73f957ea4abac98a3b6437bf96b79ce40fdfe510f8f5d899ae8a82edcacd3ee3d411a97f2662dd3337b2d267351b554465f8e7715356b4e65f8d6608f1125d1a23d3b166771fac1b5d8c55b3a0e5cebfa372325807f94d173c081ac440eacc11babdfb40c27deae1d9603877306324a8c017adc766a78a8eb4a7bb07bcbd7ce7a6cfd0dc992c63aa4f43ef53f6fc66e78e86374389e1c0bd7ae35b9526221918e2047e5b3efe3fade70637957a3f9eb192692b520c1729066773d7fd0bd9206cb20593d3928e93a64c4fc07f6f5f893d2482d5885ddee80d10fd1983cc2f36290997ad97d22a63229dd73a34835d67d61db3ec20102a58b36257f9c282ff495b508ae6fa9f85b139d83531137f07544ab58ca5a04b332f60e4e651845a3426af91e7c8e3802d947fa881f5abb13dd05c2564583d639d30762a04a5ce1633800fa8596de125cef354e97c8c3b75a8a09cb291f77470913b80e4e3dfd607db71e2f357e11616625d53579fc787a31ae25622e2e4bdb3a58748acc72d7be0d36f06f179f54a3e99939c2b5beb71fd3a05477f9388f47078c3a7beb67458c4e5c40fdb03b235e85bf87a542f894e5b4a7646c6673d4a3ba97f0b0fb82f46a945f93fee6218b627849c22b9f8ec06d700e7dc38d691d4572b206e9bde4d8221d940223f2f32794df7b3aefa9b7035e663686955a3e1eb4500babe9d4685b8738c0c8159d92aa82d3707c428cee405bb39527d33524eb8787296a6abd928cc9f019e2df2b4ba2e606caa0bf62364d2f85d0756130c917841dd8736c7', 1795613463, 1);
INSERT INTO public.signing_keys VALUES ('0e696747-bf3d-46cf-8688-b31e5aac684b', 'KAMLOwoyFDW5DgM4pNkE-w', '\x9bac547e6e1531deed5e3e8fb5438149af1ffcf105bd524df8131285c1065d37d8881a24b926cd7474f211ef3268de2d5c951a8ff9a2dd26b832e24f4d54acb26f5b154e62787a19158944ae0db95edcc6cad7ce04995ed93bda56a718f00fc8ea9a97b343376a566c5ab664ddf74be25656c21d87b93fe6b0243e08b52cd37cfaa8dbe795eed671b092954cf0965c78e443be7a61a227ccb3ab7f2fef725d76a8b207a77ebfc97e2ce5523b1038e9fff541e7d204efcbb44845da9eb9daca93654616540959dd1374e8648cd038da7d3555dc0eeb60f682ff58e8081da4146c1cfb639af6f23e8cc93e7f8679fe28306c6a05a30b5614bc9e45ed0133295a13b7c72ac97f6d439fa9d4007710147b89770daffffdf6f3f0427a542da29a17e46fb092a9eb3e0fb4b24e01dbca82f63c2ee50b6b00522272a6b9c93bc5cc366fbb60af9db122949c33b0e4d80f77c3a48821e15e97ea3db5557453d15531fd84eacb3075b9533515b51f610a53eb735f694dc05bc02e28994163754a4697279a1b78d6ea256fabeb5fbdaf957cd5af0d6bb40154e530ffa540b9094fdf825524def2870e45c612631d8b088b18ad706d44d4ce65e07464c38260756b8ed5d54b754356038b733ebf8f3b9e4a44bcb3392c6cb4ee10a049a219da83373f31904ca9876f321bcbec19fee7a2cc1d8309426df4a99d0b0d30f715378a938a7bcf7b5c8dacb9c92e16325c89128ee138277e2351708e138c69298a87e9ef0f3025b4adfe8de2a1d14bb3b2f36b6fd2ecf49bbe55cbce973b54ae7a0ee6913517205a60ac231d9e1c0b48cae0bfc6297c95488db89ff248f618b92dc4c2799e12a31b8c996ea2de7c42ef331c77d84c498f84c22f262c7734e2a3d79e4b99f005799eb561322b791b6f7e3b6629570897b7c4a3a8683fa45db047c37ae9274325bbf1840b3b4786c377374e6d8737501e2f22caa8e15387bad2dc77f9df0007d3b980a0fc0a03e263aa91e0e64d5ab102e89ee1655f1168c2f6216ec0d815bea8cf3bf6b84075110a7ebb1f576f54fbb4e9b7bb554e7389b33c1d408f1224482fe631e9d97c560f8d82cef8f360b4f23bc1807eb1872f508ccf222e972c7a53a034356db4b9d81ab346caf80ad442187e3c1e3a102c669e28247b4380ce93f9fa56d3c96844899bb6f28100a708b88bc9fc32a4dec92fc1fd66f5a74482e92ae17c1d6e49478175d0507b914eb3faea16c002d13f92470d28bdd515a47dd831c40b6202e157aed26a8701186643e0dc7cae381a8873a47c21f228f7bb080e3cf2574c5244e8bd27eeef50bbafa08917a1242c8d2ba7409de198de6d60c78f008508645a4ba39e181f352bad42d219e7ecc87e813035f7daababfe0b1ae61c869e216c1501c90370d25f0acdf7a4d476daaee935928ffba9383ec93448ca14aa7e15682ec9b4e778e5691edd95850c47535c309177e417836fb0a0549ad6d00ba34a26da2f8843076a50d4df1678f10942c9ba56b6d8727d789ecaa0fc5a5fa0507b5647676fa7c0623d1e86245d42775f584bedd53a26b551835ff2bf6154c6b7ef2121ceb59159d6610a4f6829bec9a9853639331f3306760dfdf001f66d0b2fdb7a0598ca7f81f51b2b6e8ace3227899bcd50d620a190c16ba6ab2ea1872d109c399e18f08f83ad31f4ea55926f3cb8d1ca781611633d408adac27f120142725c98912f5b', 1795613464, 2);


--
-- Data for Name: site_hostnames; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: sites; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.sites VALUES ('0e696747-bf3d-46cf-8688-b31e5aac684b', 'Default', true, '\xf32360c0253d9a6a92260a586f82c1c27f3cb7c25372afc8d1dd08ec2a4dd350', 6, 1795613463, 4, 1000, 'na1', 'C1', true, '\x6e2df40ce0f7c744b39daf7ad48dcbd5eef24c29dc6698cf1e6d4aaa567740a14008e32856e2d80c58c034450697ea1e92fd87343890c9dea8d660dfb7', 'https://app.example.org/logo.png', '#225588');


--
-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.users VALUES ('0e696747-bf3d-46cf-8688-b31e5aac684b', 2, '0c9789aa-5cd2-4753-bc15-5fa165e7a6ed', 'Anonymous', 'anonymous', '', '', 'active', false, 'Anonymous', NULL, '266084da9f1cd14c6c6b96bfd73d249a', 1795613463, NULL);
INSERT INTO public.users VALUES ('0e696747-bf3d-46cf-8688-b31e5aac684b', 1, '1556aeb4-3f72-4aa6-a43c-3fcbc085bbd9', 'admin', 'admin', '', 'Administrator', 'active', true, 'Admin', '$argon2id$v=19$m=19456,t=2,p=1$YaCBdnQcZrXjYSrwR77h7A$Kf9ULZWIUPORP7v45EmHjgHCHk6rW1/goehatVtzQi8', 'ced123d13e6bbf1ea28dfefe8374b1ec', 1795613463, 1795613463);
INSERT INTO public.users VALUES ('0e696747-bf3d-46cf-8688-b31e5aac684b', 5, '6e13516f-960c-41fa-b419-fb08f6c72769', 'zoë', 'zoë', 'zoë@example.org', 'Zoë Example', 'active', true, 'Viewer', '$argon2id$v=19$m=19456,t=2,p=1$uB/wjeh577IowY53Nh+l5g$40Vc0FTD3pdJ//pukOzxiLXQSg6YeLNgCEVBRpOuzI8', '269a3b36aae5a66363594bc81d3eac26', 1795613463, NULL);
INSERT INTO public.users VALUES ('0e696747-bf3d-46cf-8688-b31e5aac684b', 3, 'ec66ca73-78fd-4b29-a822-f3973139932c', 'alice', 'alice', 'alice@example.org', 'Alice Example', 'active', true, 'Contributor', '$argon2id$v=19$m=19456,t=2,p=1$ouKD1rWfYW89JR2UvcIT1w$QJFQtEXJmmBxfKTBqPM2VApejjhmLDlnlPliT3BiSts', '86775d7c3dfbe77ab20a6c3154642094', 1795613463, 1795613463);
INSERT INTO public.users VALUES ('0e696747-bf3d-46cf-8688-b31e5aac684b', 4, '37765d3a-687c-4c85-b3c1-41ba6bfc06bd', 'bob', 'bob', 'bob@example.org', 'Bob Example', 'active', true, 'Viewer', '$argon2id$v=19$m=19456,t=2,p=1$wnyapgBejaJT1O8F0px7nA$TVaetmQUGrfSnaypdNmXRws45Rr1pj1WT3Ydh8HDo5o', 'b1c258967101690ef2183744ea9434ee', 1795613463, 1795613464);


--
-- Name: audit_events_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.audit_events_id_seq', 11, true);


--
-- Name: access_keys access_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.access_keys
    ADD CONSTRAINT access_keys_pkey PRIMARY KEY (id);


--
-- Name: app_registrations app_registrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_registrations
    ADD CONSTRAINT app_registrations_pkey PRIMARY KEY (tracking_number);


--
-- Name: applications applications_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.applications
    ADD CONSTRAINT applications_pkey PRIMARY KEY (client_id);


--
-- Name: audit_events audit_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_events
    ADD CONSTRAINT audit_events_pkey PRIMARY KEY (id);


--
-- Name: authorization_codes authorization_codes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.authorization_codes
    ADD CONSTRAINT authorization_codes_pkey PRIMARY KEY (code_hash);


--
-- Name: client_assertions client_assertions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.client_assertions
    ADD CONSTRAINT client_assertions_pkey PRIMARY KEY (client_id, jti);


--
-- Name: developer_tokens developer_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.developer_tokens
    ADD CONSTRAINT developer_tokens_pkey PRIMARY KEY (site_id, id);


--
-- Name: developer_tokens developer_tokens_site_id_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.developer_tokens
    ADD CONSTRAINT developer_tokens_site_id_key_key UNIQUE (site_id, key);


--
-- Name: device_authorizations device_authorizations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.device_authorizations
    ADD CONSTRAINT device_authorizations_pkey PRIMARY KEY (device_code_hash);


--
-- Name: grants grants_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.grants
    ADD CONSTRAINT grants_pkey PRIMARY KEY (site_id, user_id, client_id);


--
-- Name: identity_providers identity_providers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.identity_providers
    ADD CONSTRAINT identity_providers_pkey PRIMARY KEY (site_id, issuer);


--
-- Name: refresh_tokens refresh_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.refresh_tokens
    ADD CONSTRAINT refresh_tokens_pkey PRIMARY KEY (token_hash);


--
-- Name: revocations revocations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.revocations
    ADD CONSTRAINT revocations_pkey PRIMARY KEY (site_id, reference);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: server_settings server_settings_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.server_settings
    ADD CONSTRAINT server_settings_pkey PRIMARY KEY (name);


--
-- Name: signing_keys signing_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.signing_keys
    ADD CONSTRAINT signing_keys_pkey PRIMARY KEY (site_id, kid);


--
-- Name: signing_keys signing_keys_site_id_seq_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.signing_keys
    ADD CONSTRAINT signing_keys_site_id_seq_key UNIQUE (site_id, seq);


--
-- Name: site_hostnames site_hostnames_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.site_hostnames
    ADD CONSTRAINT site_hostnames_pkey PRIMARY KEY (hostname);


--
-- Name: sites sites_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sites
    ADD CONSTRAINT sites_pkey PRIMARY KEY (id);


--
-- Name: users users_guid_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_guid_key UNIQUE (guid);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (site_id, id);


--
-- Name: users users_site_id_username_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_site_id_username_key_key UNIQUE (site_id, username_key);


--
-- Name: access_keys_by_site; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX access_keys_by_site ON public.access_keys USING btree (site_id, user_id);


--
-- Name: app_registrations_by_site; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX app_registrations_by_site ON public.app_registrations USING btree (site_id, created_at);


--
-- Name: applications_by_registration; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX applications_by_registration ON public.applications USING btree (tracking_number);


--
-- Name: audit_events_by_site; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_events_by_site ON public.audit_events USING btree (site_id, id);


--
-- Name: device_authorizations_by_user_code; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX device_authorizations_by_user_code ON public.device_authorizations USING btree (site_id, user_code);


--
-- Name: refresh_tokens_by_family; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX refresh_tokens_by_family ON public.refresh_tokens USING btree (family_id);


--
-- Name: refresh_tokens_by_grant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX refresh_tokens_by_grant ON public.refresh_tokens USING btree (site_id, user_id, client_id);


--
-- Name: revocations_by_expiry; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX revocations_by_expiry ON public.revocations USING btree (expires_at);


--
-- Name: sites_one_default; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX sites_one_default ON public.sites USING btree (is_default) WHERE is_default;


--
-- Name: access_keys access_keys_site_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.access_keys
    ADD CONSTRAINT access_keys_site_id_fkey FOREIGN KEY (site_id) REFERENCES public.sites(id) ON DELETE CASCADE;


--
-- Name: app_registrations app_registrations_site_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_registrations
    ADD CONSTRAINT app_registrations_site_id_fkey FOREIGN KEY (site_id) REFERENCES public.sites(id) ON DELETE CASCADE;


--
-- Name: applications applications_site_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.applications
    ADD CONSTRAINT applications_site_id_fkey FOREIGN KEY (site_id) REFERENCES public.sites(id) ON DELETE CASCADE;


--
-- Name: audit_events audit_events_site_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_events
    ADD CONSTRAINT audit_events_site_id_fkey FOREIGN KEY (site_id) REFERENCES public.sites(id) ON DELETE CASCADE;


--
-- Name: authorization_codes authorization_codes_site_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.authorization_codes
    ADD CONSTRAINT authorization_codes_site_id_fkey FOREIGN KEY (site_id) REFERENCES public.sites(id) ON DELETE CASCADE;


--
-- Name: developer_tokens developer_tokens_site_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.developer_tokens
    ADD CONSTRAINT developer_tokens_site_id_fkey FOREIGN KEY (site_id) REFERENCES public.sites(id) ON DELETE CASCADE;


--
-- Name: device_authorizations device_authorizations_site_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.device_authorizations
    ADD CONSTRAINT device_authorizations_site_id_fkey FOREIGN KEY (site_id) REFERENCES public.sites(id) ON DELETE CASCADE;


--
-- Name: grants grants_site_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.grants
    ADD CONSTRAINT grants_site_id_fkey FOREIGN KEY (site_id) REFERENCES public.sites(id) ON DELETE CASCADE;


--
-- Name: identity_providers identity_providers_site_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.identity_providers
    ADD CONSTRAINT identity_providers_site_id_fkey FOREIGN KEY (site_id) REFERENCES public.sites(id) ON DELETE CASCADE;


--
-- Name: refresh_tokens refresh_tokens_site_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.refresh_tokens
    ADD CONSTRAINT refresh_tokens_site_id_fkey FOREIGN KEY (site_id) REFERENCES public.sites(id) ON DELETE CASCADE;


--
-- Name: revocations revocations_site_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.revocations
    ADD CONSTRAINT revocations_site_id_fkey FOREIGN KEY (site_id) REFERENCES public.sites(id) ON DELETE CASCADE;


--
-- Name: signing_keys signing_keys_site_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.signing_keys
    ADD CONSTRAINT signing_keys_site_id_fkey FOREIGN KEY (site_id) REFERENCES public.sites(id) ON DELETE CASCADE;


--
-- Name: site_hostnames site_hostnames_site_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.site_hostnames
    ADD CONSTRAINT site_hostnames_site_id_fkey FOREIGN KEY (site_id) REFERENCES public.sites(id) ON DELETE CASCADE;


--
-- Name: users users_site_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_site_id_fkey FOREIGN KEY (site_id) REFERENCES public.sites(id) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--

\unrestrict 4BNheSz8tNtdMf7R0nxwdYbZrqFt4yY1oBDXS1dKC3ltw7dZde1i9IUcrZr7wTM

