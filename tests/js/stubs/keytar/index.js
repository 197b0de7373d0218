// See package.json: nothing in this project logs in to Forge, so any use is a mistake.
const unavailable = async () => {
  throw new Error("keytar is not installed here (stand-in from tests/js/stubs/keytar): run the Forge CLI from its own install");
};
module.exports = { getPassword: unavailable, setPassword: unavailable, deletePassword: unavailable, findCredentials: unavailable, findPassword: unavailable };
