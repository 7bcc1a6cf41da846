/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control <-> dataplane message contract.
 *
 * Every record on a command ring (control -> worker) or an event ring
 * (worker -> control) is one struct td_dp_msg of exactly TD_DP_MSG_SIZE bytes,
 * moved with rte_ring_{enqueue,dequeue}_elem(). A command carries a request id
 * chosen by control; the worker answers every command with one TD_DP_EVT_ACK
 * carrying the same request id and 0 or a negative errno. Records are versioned
 * (hdr.version): a receiver drops a record whose version it does not know and
 * acks it with -EPROTONOSUPPORT.
 *
 * This header and td_dp_shm.h are the only code both processes share.
 */
#ifndef TD_DP_MSG_H
#define TD_DP_MSG_H

#include <stdint.h>

#define TD_DP_MSG_VERSION 1
#define TD_DP_MSG_SIZE	  128

enum td_dp_msg_type {
	/* commands, control -> worker */
	TD_DP_CMD_PING = 1,
	TD_DP_CMD_SESSION_CREATE = 2,	/* body: sess; ack: session, port */
	TD_DP_CMD_SESSION_UPDATE = 3,	/* body: sess (sess.session set) */
	TD_DP_CMD_SESSION_DESTROY = 4,	/* body: ref.session */
	TD_DP_CMD_SESSION_BRIDGE = 5,	/* body: ref.session, ref.peer (same worker) */
	TD_DP_CMD_SESSION_UNBRIDGE = 6, /* body: ref.session (and its peer) */
	TD_DP_CMD_SESSION_DUMP = 7,	/* one EVT_SESSION_DUMP each, then ack: count */
	TD_DP_CMD_DTMF_DETECT = 8,	/* body: dtmf_detect */
	TD_DP_CMD_DTMF_SEND = 9,	/* body: dtmf_send; ack when queued */
	TD_DP_CMD_PROMPT_LOAD = 10,	/* body: prompt_load; acked once loaded: count = 20 ms frames */
	TD_DP_CMD_PLAY = 11,		/* body: play */
	TD_DP_CMD_PLAY_STOP = 12,	/* body: play (session); one EVT_PLAYBACK_DONE follows */
	TD_DP_CMD_PROMPT_UNLOAD = 13,	/* body: prompt_load (prompt) */
	TD_DP_CMD_RECORD_START = 14,	/* body: rec_start; ack: accepted (file errors: EVT_RECORD) */
	TD_DP_CMD_RECORD_PAUSE = 15,	/* body: rec_ref (pause 1: pause, 0: resume) */
	TD_DP_CMD_RECORD_STOP = 16,	/* body: rec_ref; one EVT_RECORD (done) per file once closed */
	TD_DP_CMD_RECORD_STATUS = 17,	/* one EVT_RECORD per live recording, then ack: count */
	TD_DP_CMD_CONF_CREATE = 18,	/* body: conf (conf) */
	TD_DP_CMD_CONF_JOIN = 19,	/* body: conf (conf, session, role, target) */
	TD_DP_CMD_CONF_LEAVE = 20,	/* body: conf (session) */
	TD_DP_CMD_CONF_ROLE = 21,	/* body: conf (session, role, target) */
	TD_DP_CMD_CONF_DESTROY = 22,	/* body: conf (conf): every participant leaves */
	TD_DP_CMD_MONITOR = 23,		/* body: monitor (agent, supervisor, mode) */

	/* events, worker -> control */
	TD_DP_EVT_ACK = 0x8000,
	TD_DP_EVT_SESSION_DUMP = 0x8001,   /* body: dump */
	TD_DP_EVT_FIRST_PACKET = 0x8002,   /* body: sevt: source latched */
	TD_DP_EVT_SOURCE_CHANGED = 0x8003, /* body: sevt: latch moved */
	TD_DP_EVT_MEDIA_TIMEOUT = 0x8004,  /* body: sevt: no RTP for the timeout */
	TD_DP_EVT_DTMF = 0x8005,	   /* body: dtmf: one key press received */
	TD_DP_EVT_PLAYBACK_DONE = 0x8006,  /* body: play_done: a prompt or tone stopped playing */
	TD_DP_EVT_RECORD = 0x8007,	   /* body: rec: a recording's file done, or its status */
	TD_DP_EVT_CONF_TALKER = 0x8008,	   /* body: talker: a participant started or stopped talking */
	TD_DP_EVT_MONITOR = 0x8009,	   /* body: mon_end: a monitor ended with one of its sessions */
};

/*
 * A session is named by its id: its local RTP port in the low 16 bits (RTCP
 * is the next, odd, port) and a reuse counter in the high 16, so a command
 * for a destroyed session never reaches the next one on the same port.
 */
#define TD_DP_SESSION_PORT(id) ((uint16_t)((id)&0xffff))

enum td_dp_sess_flags {
	TD_DP_SESS_F_STRICT_SOURCE = 1 << 0, /* only the signalled remote address may latch */
	TD_DP_SESS_F_JITTER_BUFFER = 1 << 1, /* transcoding: its packets wait in a jitter buffer before decode */
};

struct td_dp_msg_hdr {
	uint16_t version; /* TD_DP_MSG_VERSION */
	uint16_t type;	  /* enum td_dp_msg_type */
	uint16_t worker;  /* worker index that handled / emitted it */
	uint16_t reserved;
	uint64_t req_id; /* chosen by control, echoed in the ack */
};

/* TD_DP_CMD_PING: the worker acks with the cookie and its TSC. */
struct td_dp_cmd_ping {
	uint64_t cookie;
};

/* SESSION_CREATE / SESSION_UPDATE */
struct td_dp_cmd_session {
	uint32_t session;	  /* UPDATE: which; CREATE: 0 */
	uint32_t call_tag;	  /* control's call number, echoed in events */
	uint32_t remote_ip;	  /* network order; 0: learn from the first packet */
	uint16_t remote_port;	  /* host order; 0: learn */
	uint16_t flags;		  /* enum td_dp_sess_flags */
	uint32_t ssrc;		  /* SSRC sent toward this session's peer; 0: keep */
	uint32_t clock_rate;	  /* RTP clock in Hz (jitter units); 0: 8000 */
	uint16_t ptime_ms;	  /* 0: 20 */
	uint16_t media_timeout_s; /* no RTP for this long: event; 0: never */
	uint8_t tel_event_pt;	  /* RFC 4733 payload type; 0: none */
	uint8_t learn_pkts;	  /* latch learning window in packets; 0: 5 */
	uint8_t n_pts;		  /* accepted payload types; 0: any */
	uint8_t reserved;
	uint8_t pts[16];
	/*
	 * The codec this leg speaks. Two bridged sessions whose codecs differ
	 * (or whose ptimes differ) are a transcoding pair: each side's media
	 * is decoded, resampled and re-encoded for the other. Same codec, or
	 * either side without one: plain relay. With a codec, clock_rate 0
	 * means the codec's RTP clock (any other value must equal it).
	 */
	char codec[8];	  /* SDP encoding name (PCMA, PCMU, G722, G729, opus), NUL-padded; "": none */
	uint8_t codec_pt; /* its payload type here, sent and accepted; 0: the codec's static PT */
	uint8_t codec_reserved[3];
};

/* SESSION_DESTROY / BRIDGE / UNBRIDGE */
struct td_dp_cmd_session_ref {
	uint32_t session;
	uint32_t peer;
};

/* TD_DP_EVT_ACK */
struct td_dp_evt_ack {
	uint16_t cmd_type; /* the command being answered */
	uint16_t reserved;
	int32_t result;	  /* 0 or -errno */
	uint64_t cookie;  /* PING: the command's cookie */
	uint64_t tsc;	  /* worker TSC when the command was handled */
	uint32_t session; /* SESSION_CREATE: the new session's id */
	uint32_t count;	  /* SESSION_DUMP: entries sent before this ack */
};

/* FIRST_PACKET, SOURCE_CHANGED, MEDIA_TIMEOUT */
struct td_dp_evt_session {
	uint32_t session;
	uint32_t call_tag;
	uint32_t addr;	   /* the source now latched (network order) */
	uint16_t port;	   /* host order */
	uint16_t old_port; /* SOURCE_CHANGED: the source before */
	uint32_t old_addr;
	uint32_t idle_ms; /* MEDIA_TIMEOUT: time since the last RTP */
};

/* SESSION_DUMP: one live session */
struct td_dp_evt_dump {
	uint32_t session;
	uint32_t call_tag;
	uint32_t peer; /* bridged session, 0 if none */
	uint32_t remote_ip;
	uint16_t remote_port;
	uint16_t flags;
	uint32_t latched_ip;
	uint16_t latched_port;
	uint8_t latched; /* 0 learning, 1 latched (window open), 2 locked */
	uint8_t n_pts;
	uint32_t ssrc;
	uint32_t clock_rate;
	uint16_t ptime_ms;
	uint16_t media_timeout_s;
	uint8_t tel_event_pt;
	uint8_t reserved[3];
	uint8_t pts[16];
	char codec[8]; /* as in td_dp_cmd_session */
	uint8_t codec_pt;
	uint8_t transcoding; /* 1: bridged to a session with another codec or ptime */
	uint8_t codec_reserved[2];
};

/* Where a digit came from (TD_DP_EVT_DTMF). */
enum td_dp_dtmf_source {
	TD_DP_DTMF_RFC4733 = 1, /* telephone-event packets */
	TD_DP_DTMF_INBAND = 2,	/* tones in the decoded audio */
};

/* TD_DP_EVT_DTMF: sent once per key press, when it ends. */
struct td_dp_evt_dtmf {
	uint32_t session;
	uint32_t call_tag;
	uint32_t rtp_ts;      /* RFC 4733: the event's timestamp; in-band: of the audio where it began */
	uint32_t duration_ms; /* how long the key was down */
	char digit;	      /* '0'-'9', '*', '#', 'A'-'D', '!' (flash) */
	uint8_t source;	      /* enum td_dp_dtmf_source */
	uint8_t end_seen;     /* RFC 4733: 0 when the end packets were all lost */
	uint8_t reserved;
};

enum td_dp_dtmf_detect_flags {
	TD_DP_DTMF_DETECT_ON = 1 << 0,	     /* in-band detection on this session's audio */
	TD_DP_DTMF_DETECT_SUPPRESS = 1 << 1, /* and the tones muted in what goes to its peer */
};

/* TD_DP_CMD_DTMF_DETECT. Transcoding legs always detect; the flag adds relay
 * G.711 sessions, and SUPPRESS applies to both. -ENOSPC: no detector left. */
struct td_dp_cmd_dtmf_detect {
	uint32_t session;
	uint32_t flags; /* enum td_dp_dtmf_detect_flags */
};

#define TD_DP_DTMF_DIGITS_MAX 32

/* TD_DP_CMD_DTMF_SEND: digits toward the session's remote, as RFC 4733
 * events when it has tel_event_pt, else as tones in its audio (a session
 * with a G.711 codec, or a transcoding leg). -EBUSY while digits are still
 * being sent; -EINVAL for a character that is no digit. */
struct td_dp_cmd_dtmf_send {
	uint32_t session;
	uint16_t duration_ms;		    /* per digit; 0: 100 (40..2000) */
	uint16_t pause_ms;		    /* between digits; 0: 60 */
	char digits[TD_DP_DTMF_DIGITS_MAX]; /* NUL-terminated unless full */
};

/* What a recording writes (TD_DP_CMD_RECORD_START). */
enum td_dp_rec_mode {
	TD_DP_REC_STEREO = 1, /* one file: customer left, agent right */
	TD_DP_REC_MONO = 2,   /* one file: both mixed */
	TD_DP_REC_BOTH = 3,   /* the stereo file, and the mono one named <name>-mono.wav */
};

#define TD_DP_REC_NAME_MAX 80

/* TD_DP_CMD_RECORD_START, sent to the worker owning both sessions. The
 * name is relative to the dataplane's --record-dir: letters, digits, '.',
 * '_', '-' and '/' between components; no "..", no leading '/', NUL
 * within TD_DP_REC_NAME_MAX (-EINVAL otherwise). -ENOENT: a session
 * unknown; -EBUSY: a session already recorded or the id in use; -ENOSPC:
 * no recording slot or buffer left; -ENOTSUP: the dataplane records
 * nowhere (no --record-dir). A file that cannot be created is reported by
 * an EVT_RECORD with state DONE and the error. */
struct td_dp_cmd_rec_start {
	uint32_t rec_id;   /* control's, nonzero, unique among live recordings */
	uint32_t customer; /* session heard on the left; 0: none */
	uint32_t agent;	   /* session heard on the right; 0: none (one at least) */
	uint8_t mode;	   /* enum td_dp_rec_mode */
	uint8_t reserved[3];
	char name[TD_DP_REC_NAME_MAX];
};

/* TD_DP_CMD_RECORD_PAUSE / RECORD_STOP. -ENOENT: no such live recording. */
struct td_dp_cmd_rec_ref {
	uint32_t rec_id;
	uint32_t pause; /* PAUSE: 1 pause (silence written meanwhile), 0 resume */
};

enum td_dp_rec_state {
	TD_DP_REC_ACTIVE = 1,
	TD_DP_REC_PAUSED = 2,
	TD_DP_REC_STOPPING = 3, /* stopped or failed; files being closed */
	TD_DP_REC_DONE = 4,	/* this file is closed */
};

/* TD_DP_EVT_RECORD: one per file when it is closed (state DONE), or one
 * per live recording answering RECORD_STATUS. */
struct td_dp_evt_rec {
	uint32_t rec_id;
	uint8_t state;	      /* enum td_dp_rec_state */
	uint8_t file;	      /* 0: the stereo (or only) file; 1: the mono file of BOTH */
	uint8_t complete;     /* DONE: 1 written to the end; 0 ended early by error */
	uint8_t files;	      /* files this recording writes: 1, or 2 for BOTH */
	int32_t error;	      /* DONE incomplete: -errno that ended it (-ENOSPC, -EIO, -EFBIG, -ENOENT...) */
	uint32_t duration_ms; /* audio in the file */
	uint64_t bytes;	      /* file size on disk, header included */
	uint32_t gaps;	      /* received packets that could not be recorded (see docs/recording.md) */
	uint32_t customer;
	uint32_t agent;
	uint32_t reserved;
	uint8_t sha256[32]; /* DONE: of the file as closed */
};

/* Roles in a conference (TD_DP_CMD_CONF_JOIN, _ROLE); docs/conference.md. */
enum td_dp_conf_role {
	TD_DP_CONF_SPEAKER = 0, /* heard by all others */
	TD_DP_CONF_LISTEN = 1,	/* hears, heard by nobody */
	TD_DP_CONF_WHISPER = 2, /* heard by the target session only */
	TD_DP_CONF_MUTED = 3,	/* hears, heard by nobody */
};

/*
 * TD_DP_CMD_CONF_*. A conference is named by a non-zero number control
 * chooses, unique on its worker; its participants are sessions of that
 * worker, not bridged. -ENOSPC: no conference or participant slot left
 * (--conf-slots); -EBUSY: the session is bridged or in a conference;
 * -EOPNOTSUPP: a codec the conference cannot mix yet.
 */
struct td_dp_cmd_conf {
	uint32_t conf;
	uint32_t session;
	uint32_t target; /* WHISPER: the session that hears it */
	uint8_t role;	 /* enum td_dp_conf_role */
	uint8_t reserved[3];
};

/* TD_DP_EVT_CONF_TALKER */
struct td_dp_evt_conf_talker {
	uint32_t conf;
	uint32_t session;
	uint32_t call_tag;
	uint8_t talking; /* 1: started, 0: stopped */
	uint8_t reserved[3];
};

/* Supervisor monitoring of a bridged call (TD_DP_CMD_MONITOR); docs/conference.md. */
enum td_dp_monitor_mode {
	TD_DP_MON_OFF = 0,     /* plain relay; the supervisor stays attached and hears nothing */
	TD_DP_MON_LISTEN = 1,  /* the supervisor hears both; nobody hears it */
	TD_DP_MON_WHISPER = 2, /* the supervisor hears both; only the agent hears it */
	TD_DP_MON_BARGE = 3,   /* all three hear the other two */
	TD_DP_MON_STOP = 4,    /* the monitor ends (supervisor ignored); -ENOTCONN if none */
};

/*
 * TD_DP_CMD_MONITOR, sent to the worker owning the sessions. The agent is
 * one leg of a bridged pair (its peer is the customer); the supervisor is
 * another session of that worker, not bridged and in no conference. The
 * first command with a mode starts the monitor, later ones with the same
 * supervisor switch its mode. -ENOENT: a session unknown; -EXDEV: on
 * another worker; -ENOTCONN: the agent is not bridged (or, STOP, not
 * monitored); -EBUSY: a session already monitored, supervising, in a
 * conference, or the supervisor bridged; -ENOTSUP: not G.711 on all three,
 * or the pair transcodes; -EINVAL: mode, or the same session twice;
 * -ENOSPC: no mixer slot left (a monitor takes three of --conf-slots).
 */
struct td_dp_cmd_monitor {
	uint32_t agent;
	uint32_t supervisor;
	uint8_t mode; /* enum td_dp_monitor_mode */
	uint8_t reserved[3];
};

enum td_dp_monitor_why {
	TD_DP_MON_SESSION_GONE = 1, /* one of the three sessions was destroyed */
	TD_DP_MON_UNBRIDGED = 2,    /* the agent and customer were unbridged */
};

/* TD_DP_EVT_MONITOR: a monitor ended without a STOP (which its ack answers). */
struct td_dp_evt_monitor {
	uint32_t agent;
	uint32_t customer;
	uint32_t supervisor;
	uint32_t call_tag; /* the agent's */
	uint8_t why;	   /* enum td_dp_monitor_why */
	uint8_t reserved[3];
};

#define TD_DP_PROMPT_ID_MAX   255 /* prompt ids 1 .. this */
#define TD_DP_PROMPT_PATH_MAX 108 /* with its NUL */

/* TD_DP_CMD_PROMPT_LOAD / PROMPT_UNLOAD, sent to any worker (prompts are
 * the dataplane's, shared by all). LOAD reads a WAV file on the dataplane's
 * main lcore and encodes it for every codec; the ack comes when that is
 * done: count = its 20 ms frames, or -EINVAL (id 0 or over the max, path
 * without NUL), -EEXIST (id loaded), -EBUSY (id still being unloaded), or
 * the file's refusal (dataplane/media/prompt_wav.h: -ENOENT, -EBADMSG,
 * -ENOTSUP, -ERANGE, -ECHRNG, -ENODATA, -ENOMSG, -EFBIG). UNLOAD: new plays
 * are refused at once, the memory is freed when the last play ends;
 * -ENOENT when not loaded. */
struct td_dp_cmd_prompt_load {
	uint32_t prompt;
	char path[TD_DP_PROMPT_PATH_MAX]; /* absolute, as the dataplane sees it; LOAD only */
};

/* Built-in tones a PLAY may name instead of a prompt (docs/media.md). */
enum td_dp_tone {
	TD_DP_TONE_NONE = 0,
	TD_DP_TONE_RINGBACK = 1,
	TD_DP_TONE_BUSY = 2,
	TD_DP_TONE_CONGESTION = 3,
};

enum td_dp_play_flags {
	TD_DP_PLAY_LOOP = 1 << 0, /* start again at the end until stopped */
};

/* TD_DP_CMD_PLAY: send a prompt (or tone) toward the session's remote in
 * place of its peer's media. A play already running is replaced (its
 * PLAYBACK_DONE says so). -ENOENT: unknown session or prompt not loaded;
 * -EINVAL: both or neither of prompt and tone, or no codec the prompt can
 * be played in (docs/media.md). PLAY_STOP uses only session; -EALREADY
 * when nothing plays. */
struct td_dp_cmd_play {
	uint32_t session;
	uint32_t prompt; /* 0 with a tone */
	uint8_t tone;	 /* enum td_dp_tone */
	uint8_t flags;	 /* enum td_dp_play_flags */
	uint16_t reserved;
};

enum td_dp_play_why {
	TD_DP_PLAY_FINISHED = 1,     /* played to its end (not looped) */
	TD_DP_PLAY_STOPPED = 2,	     /* PLAY_STOP */
	TD_DP_PLAY_SESSION_GONE = 3, /* the session was destroyed */
	TD_DP_PLAY_REPLACED = 4,     /* another PLAY on the session */
};

/* TD_DP_EVT_PLAYBACK_DONE: once per play, however it ends. */
struct td_dp_evt_play_done {
	uint32_t session;
	uint32_t call_tag;
	uint32_t prompt; /* 0 for a tone */
	uint8_t tone;
	uint8_t why; /* enum td_dp_play_why */
	uint16_t reserved;
	uint32_t frames; /* 20 ms frames sent (or whose time passed) */
	uint32_t loops;	 /* times it went back to the start */
};

#define TD_DP_MSG_BODY (TD_DP_MSG_SIZE - sizeof(struct td_dp_msg_hdr))

struct td_dp_msg {
	struct td_dp_msg_hdr hdr;
	union {
		uint8_t raw[TD_DP_MSG_BODY];
		struct td_dp_cmd_ping ping;
		struct td_dp_cmd_session sess;
		struct td_dp_cmd_session_ref ref;
		struct td_dp_evt_ack ack;
		struct td_dp_evt_session sevt;
		struct td_dp_evt_dump dump;
		struct td_dp_evt_dtmf dtmf;
		struct td_dp_cmd_dtmf_detect dtmf_detect;
		struct td_dp_cmd_dtmf_send dtmf_send;
		struct td_dp_cmd_rec_start rec_start;
		struct td_dp_cmd_rec_ref rec_ref;
		struct td_dp_evt_rec rec;
		struct td_dp_cmd_conf conf;
		struct td_dp_evt_conf_talker talker;
		struct td_dp_cmd_monitor monitor;
		struct td_dp_evt_monitor mon_end;
		struct td_dp_cmd_prompt_load prompt_load;
		struct td_dp_cmd_play play;
		struct td_dp_evt_play_done play_done;
	};
};

_Static_assert(sizeof(struct td_dp_msg) == TD_DP_MSG_SIZE, "td_dp_msg must be TD_DP_MSG_SIZE bytes");
_Static_assert(sizeof(struct td_dp_cmd_session) <= TD_DP_MSG_BODY, "session command must fit the message body");
_Static_assert(sizeof(struct td_dp_evt_dump) <= TD_DP_MSG_BODY, "dump event must fit the message body");
_Static_assert(sizeof(struct td_dp_evt_dtmf) <= TD_DP_MSG_BODY, "DTMF event must fit the message body");
_Static_assert(sizeof(struct td_dp_cmd_dtmf_detect) <= TD_DP_MSG_BODY, "DTMF detect must fit the message body");
_Static_assert(sizeof(struct td_dp_cmd_dtmf_send) <= TD_DP_MSG_BODY, "DTMF send must fit the message body");
_Static_assert(sizeof(struct td_dp_cmd_rec_start) <= TD_DP_MSG_BODY, "record start must fit the message body");
_Static_assert(sizeof(struct td_dp_evt_rec) <= TD_DP_MSG_BODY, "record event must fit the message body");
_Static_assert(sizeof(struct td_dp_cmd_conf) <= TD_DP_MSG_BODY, "conference command must fit the message body");
_Static_assert(sizeof(struct td_dp_evt_conf_talker) <= TD_DP_MSG_BODY, "talker event must fit the message body");
_Static_assert(sizeof(struct td_dp_cmd_monitor) <= TD_DP_MSG_BODY, "monitor command must fit the message body");
_Static_assert(sizeof(struct td_dp_evt_monitor) <= TD_DP_MSG_BODY, "monitor event must fit the message body");
_Static_assert(sizeof(struct td_dp_cmd_prompt_load) <= TD_DP_MSG_BODY, "prompt load must fit the message body");
_Static_assert(sizeof(struct td_dp_cmd_play) <= TD_DP_MSG_BODY, "play must fit the message body");
_Static_assert(sizeof(struct td_dp_evt_play_done) <= TD_DP_MSG_BODY, "playback done must fit the message body");
_Static_assert(TD_DP_MSG_SIZE % 4 == 0, "rte_ring elem size must be a multiple of 4");

static inline void
td_dp_msg_init(struct td_dp_msg *m, uint16_t type, uint64_t req_id)
{
	*m = (struct td_dp_msg){
		.hdr = {.version = TD_DP_MSG_VERSION, .type = type, .req_id = req_id},
	};
}

#endif
